// netdiag's version, stamped into snapshots and the agent's build info.
export const NETDIAG_VERSION = '0.1.0';
