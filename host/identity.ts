// A host's name in netdiag: --host-name, else NETDIAG_HOST_NAME, else the hostname the kernel reports.
import { hostname } from 'node:os';

export function hostNameOf(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env, reported: string | undefined = undefined): string {
  return explicit || env.NETDIAG_HOST_NAME || reported || hostname();
}
