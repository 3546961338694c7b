// A host in memory for actuation tests: the HostMutator calls netdiag makes, recorded, applied to rules, sysctls,
// routes and Docker attachments with the semantics (and error texts) of iptables, sysctl, ip route and the Engine API.
import type { HostMutator, LinkInfo, Outcome } from '../../host/mutate.js';

export interface HostState {
  /** table → chain → rules (each the argument list after the chain name). */
  iptables: Record<string, Record<string, string[][]>>;
  /** The same for ip6tables, when a test has IPv6 rules. */
  ip6tables?: Record<string, Record<string, string[][]>>;
  sysctls: Record<string, string>;
  routes: string[];
  /** container → network names it is attached to. */
  attached: Record<string, string[]>;
  /** network ID → name. */
  networks: Record<string, string>;
  /** "family table chain" → its rules in order, as nft lists them (handle, statements, comment). */
  nft: Record<string, { handle: number; expr: unknown[]; comment: string | null }[]>;
  /** The namespace's links by name (what `ip -j -d addr show dev NAME` says of them), when a test has any. */
  links?: Record<string, LinkInfo>;
  /** Routes onto links: "DST dev DEV". */
  linkRoutes?: string[];
  /** Gateways the kernel refuses a route through (not on any link): `Error: Nexthop has invalid gateway.` */
  badGateways?: string[];
}

export interface RecordingOptions {
  /** Also take batches (ip -force -batch, iptables-restore --noflush, iptables -S) as the live host does. */
  batches?: boolean;
}

export interface RecordingHost extends HostMutator {
  state: HostState;
  calls: string[];
}

const ok: Outcome = { ok: true, stderr: '' };
const same = (a: string[], b: string[]) => a.length === b.length && a.every((w, i) => w === b[i]);

export function recordingHost(initial: HostState, o: RecordingOptions = {}): RecordingHost {
  const state = structuredClone(initial);
  const calls: string[] = [];
  const host: RecordingHost = {
    state,
    calls,
    async iptables(table, args, v6 = false) {
      calls.push(`${v6 ? 'ip6tables' : 'iptables'} -t ${table} ${args.join(' ')}`);
      const [op, chain, ...rest] = args;
      const rules = (v6 ? (state.ip6tables ?? {}) : state.iptables)[table]?.[chain ?? ''];
      if (!rules) return { ok: false, stderr: `iptables: No chain/target/match by that name.` };
      const at = /^\d+$/.test(rest[0] ?? '') && op === '-I' ? Number(rest.shift()) : null;
      const i = rules.findIndex((r) => same(r, rest));
      switch (op) {
        case '-C':
          return i >= 0 ? ok : { ok: false, stderr: 'iptables: Bad rule (does a matching rule exist in that chain?).' };
        case '-D':
          if (i < 0) return { ok: false, stderr: 'iptables: Bad rule (does a matching rule exist in that chain?).' };
          rules.splice(i, 1);
          return ok;
        case '-I':
          if (at !== null && at > rules.length + 1) return { ok: false, stderr: 'iptables: Index of insertion too big.' };
          rules.splice((at ?? 1) - 1, 0, rest);
          return ok;
        case '-A':
          rules.push(rest);
          return ok;
        default:
          throw new Error(`recording host: iptables ${op} is not something netdiag should run`);
      }
    },
    async readSysctl(key) {
      return state.sysctls[key] ?? null;
    },
    async writeSysctl(key, value) {
      calls.push(`sysctl -w ${key}=${value}`);
      if (!(key in state.sysctls)) return { ok: false, stderr: `sysctl: cannot stat /proc/sys/${key.replaceAll('.', '/')}: No such file or directory` };
      state.sysctls[key] = value;
      return ok;
    },
    async ipRoute(verb, dst, via, dev) {
      calls.push(`ip route ${verb} ${dst} via ${via}${dev ? ` dev ${dev}` : ''}`);
      const line = `${dst} via ${via}`;
      const i = state.routes.indexOf(line);
      if (verb === 'add' && state.badGateways?.includes(via)) return { ok: false, stderr: 'Error: Nexthop has invalid gateway.' };
      if (verb === 'add') {
        if (i >= 0) return { ok: false, stderr: 'RTNETLINK answers: File exists' };
        state.routes.push(line);
        return ok;
      }
      if (i < 0) return { ok: false, stderr: 'RTNETLINK answers: No such process' };
      state.routes.splice(i, 1);
      return ok;
    },
    // iproute2's own error texts, as ip 6.1 prints them (checked in a scratch namespace).
    async linkInfo(name) {
      const l = state.links?.[name];
      return l ? structuredClone(l) : null;
    },
    async ipLink(args) {
      calls.push(`ip link ${args.join(' ')}`);
      const links = (state.links ??= {});
      const name = args[1];
      if (args[0] === 'add') {
        if (links[name]) return { ok: false, stderr: 'RTNETLINK answers: File exists' };
        if (!links[args[3]]) return { ok: false, stderr: `Cannot find device "${args[3]}"` };
        links[name] = { kind: args[5], parent: args[3], mode: args[7], up: false, addresses: [] };
        return ok;
      }
      if (!links[name]) return { ok: false, stderr: `Cannot find device "${name}"` };
      if (args[0] === 'del') {
        delete links[name];
        state.linkRoutes = (state.linkRoutes ?? []).filter((r) => !r.endsWith(` dev ${name}`));
      } else links[name].up = args[2] === 'up';
      return ok;
    },
    async ipAddr(verb, address, dev) {
      calls.push(`ip addr ${verb} ${address} dev ${dev}`);
      const l = state.links?.[dev];
      if (!l) return { ok: false, stderr: `Cannot find device "${dev}"` };
      const i = l.addresses.indexOf(address);
      if (verb === 'add') {
        if (i >= 0) return { ok: false, stderr: 'Error: ipv4: Address already assigned.' };
        l.addresses.push(address);
      } else {
        if (i < 0) return { ok: false, stderr: 'Error: ipv4: Address not found.' };
        l.addresses.splice(i, 1);
      }
      return ok;
    },
    async routeDevs(dst) {
      return (state.linkRoutes ?? []).filter((r) => r.startsWith(`${dst} dev `)).map((r) => r.slice(`${dst} dev `.length));
    },
    async ipLinkRoute(verb, dst, dev) {
      calls.push(`ip route ${verb} ${dst} dev ${dev}`);
      const routes = (state.linkRoutes ??= []);
      const line = `${dst} dev ${dev}`;
      if (!state.links?.[dev]) return { ok: false, stderr: `Cannot find device "${dev}"` };
      const i = routes.indexOf(line);
      if (verb === 'add') {
        // One route per prefix (at the one metric netdiag uses), whichever device holds it.
        if (routes.some((r) => r.startsWith(`${dst} dev `))) return { ok: false, stderr: 'RTNETLINK answers: File exists' };
        routes.push(line);
      } else {
        if (i < 0) return { ok: false, stderr: 'RTNETLINK answers: No such process' };
        routes.splice(i, 1);
      }
      return ok;
    },
    async containerNetworks(container) {
      return state.attached[container] ? [...state.attached[container]] : null;
    },
    async dockerConnect(networkId, container) {
      calls.push(`docker network connect ${networkId} ${container}`);
      const name = state.networks[networkId] ?? networkId;
      const list = state.attached[container];
      if (!list) throw new Error(`no such container ${container}`);
      if (!list.includes(name)) list.push(name);
    },
    async nft(commands, list) {
      if (commands === null) {
        const key = (list ?? []).slice(1).join(' ');
        const rules = state.nft[key];
        if (!rules) return { ok: false, stdout: '', stderr: 'Error: No such file or directory' };
        return { ok: true, stderr: '', stdout: JSON.stringify({ nftables: rules.map((r) => ({ rule: { handle: r.handle, expr: r.expr, ...(r.comment ? { comment: r.comment } : {}) } })) }) };
      }
      calls.push(`nft -j -f ${JSON.stringify(commands)}`);
      const echo: unknown[] = [];
      const next = () => Math.max(0, ...Object.values(state.nft).flatMap((rs) => rs.map((r) => r.handle))) + 1;
      for (const c of commands as Record<string, Record<string, Record<string, unknown>>>[]) {
        const [verb, obj] = Object.entries(c)[0]!;
        const [what, v] = Object.entries(obj)[0]!;
        if (what === 'table') {
          if (verb === 'delete') for (const k of Object.keys(state.nft)) if (k.startsWith(`${v.family} ${v.name} `)) delete state.nft[k];
          continue;
        }
        const key = `${v.family} ${v.table} ${what === 'chain' ? v.name : v.chain}`;
        if (what === 'chain') {
          state.nft[key] ??= [];
          continue;
        }
        const rules = state.nft[key];
        if (!rules) return { ok: false, stdout: '', stderr: 'Error: Could not process rule: No such file or directory' };
        if (verb === 'delete') {
          const i = rules.findIndex((r) => r.handle === v.handle);
          if (i < 0) return { ok: false, stdout: '', stderr: 'Error: Could not process rule: No such file or directory' };
          rules.splice(i, 1);
          continue;
        }
        const rule = { handle: next(), expr: v.expr as unknown[], comment: (v.comment as string | undefined) ?? null };
        const at = verb === 'insert' ? (v.index as number | undefined) ?? 0 : rules.length;
        if (at > rules.length || (verb === 'insert' && at >= rules.length)) return { ok: false, stdout: '', stderr: 'Error: Could not process rule: No such file or directory' };
        rules.splice(at, 0, rule);
        echo.push({ [verb]: { rule: { ...v, handle: rule.handle } } });
      }
      return { ok: true, stderr: '', stdout: JSON.stringify({ nftables: echo }) };
    },
    async dockerDisconnect(networkId, container) {
      calls.push(`docker network disconnect ${networkId} ${container}`);
      const name = state.networks[networkId] ?? networkId;
      const list = state.attached[container];
      if (list) state.attached[container] = list.filter((n) => n !== name);
    },
  };
  if (!o.batches) return host;
  // The batch forms, line by line on the same state, reporting as ip 6.1 and iptables 1.8.9 do (captured/batch).
  const one = { ipRoute: host.ipRoute.bind(host), iptables: host.iptables.bind(host) };
  host.ipBatch = async (commands) => {
    calls.push(`ip -force -batch (${commands.length} lines)`);
    const n = calls.length;
    const failed = new Map<number, string>();
    for (const [i, c] of commands.entries()) {
      const [, verb, dst, , via, , dev] = c as [string, 'add' | 'del', string, string, string, string, string | undefined];
      const r = await one.ipRoute(verb, dst, via, dev ?? null);
      if (!r.ok) failed.set(i, r.stderr);
    }
    calls.splice(n, calls.length - n);
    return { failed };
  };
  host.iptablesList = async (table, chain, v6 = false) => {
    calls.push(`${v6 ? 'ip6tables' : 'iptables'} -t ${table} -S ${chain}`);
    const rules = (v6 ? (state.ip6tables ?? {}) : state.iptables)[table]?.[chain];
    return rules ? rules.map((r) => `-A ${chain} ${r.map((w) => (/\s/.test(w) ? `"${w}"` : w)).join(' ')}`) : null;
  };
  host.iptablesRestore = async (table, commands, v6 = false) => {
    calls.push(`${v6 ? 'ip6tables' : 'iptables'}-restore --noflush -t ${table} (${commands.length} lines)`);
    const n = calls.length;
    const set = v6 ? (state.ip6tables ??= {}) : state.iptables;
    const before = structuredClone(set[table] ?? {});
    for (const [i, c] of commands.entries()) {
      const r = await one.iptables(table, c, v6);
      if (!r.ok) {
        // One transaction: nothing of it stays.
        set[table] = before;
        calls.splice(n, calls.length - n);
        return { ok: false, stderr: `${v6 ? 'ip6tables' : 'iptables'}-restore: line ${i + 2} failed: No chain/target/match by that name.` };
      }
    }
    calls.splice(n, calls.length - n);
    return ok;
  };
  return host;
}

/** A host that fails the test if anything tries to change it (read-only routes, refused requests). */
export function untouchableHost(): HostMutator {
  const no = () => Promise.reject(new Error('this test must not change the host'));
  return { iptables: no, readSysctl: no, writeSysctl: no, ipRoute: no, containerNetworks: no, dockerConnect: no, dockerDisconnect: no, nft: no, linkInfo: no, ipLink: no, ipAddr: no, ipLinkRoute: no, routeDevs: no };
}
