// Snapshot patches: what a fix would change, applied to a copy so the model can predict its effect.
import type { HostSnapshot } from '../../snapshot/host-snapshot.js';
import { ipToNumber, numberToIp, parseCidr } from '../iptables/addr.js';
import type { PlanStep } from './command.js';

export type Patch =
  | { kind: 'network-connect'; host: string; container: string; network: string }
  | { kind: 'docker-user-insert'; host: string; rules: string[] }
  | { kind: 'sysctl'; host: string; key: string; value: string }
  | { kind: 'delete-rule'; host: string; table: string; chain: string; text: string };

/** The address Docker's IPAM would most likely hand out next: the lowest free one after the gateway. */
export function nextFreeAddress(s: HostSnapshot, networkId: string): { ip: string; prefixLen: number } | null {
  const n = s.docker?.networks.find((x) => x.id === networkId);
  const sub = n?.subnets.find((x) => !x.subnet.includes(':'));
  const c = sub ? parseCidr(sub.subnet) : null;
  if (!n || !sub || !c) return null;
  const used = new Set<number>();
  for (const ct of s.docker?.containers ?? []) for (const e of ct.endpoints) if (e.ip) used.add(ipToNumber(e.ip) as number);
  const gw = ipToNumber(sub.gateway ?? '') ?? c.addr + 1;
  used.add(gw);
  const size = 2 ** (32 - c.bits);
  for (let i = 2; i < size - 1; i++) if (!used.has(c.addr + i)) return { ip: numberToIp(c.addr + i), prefixLen: c.bits };
  return null;
}

export function applyPatch(snapshots: HostSnapshot[], patch: Patch): HostSnapshot[] {
  return snapshots.map((orig) => {
    if (orig.name !== patch.host) return orig;
    const s = structuredClone(orig);
    switch (patch.kind) {
      case 'network-connect': {
        const c = s.docker?.containers.find((x) => x.id === patch.container);
        const n = s.docker?.networks.find((x) => x.id === patch.network);
        const addr = nextFreeAddress(s, patch.network);
        const owner = c?.sharesNetnsWith ?? c?.id;
        const sb = s.links?.sandboxes.find((x) => x.containerId === owner);
        const rt = s.routes?.sandboxes.find((x) => x.containerId === owner);
        if (!c || !n || !addr || !sb || !rt) return s;
        const ifname = `eth${sb.interfaces.length}`;
        const sub = n.subnets.find((x) => !x.subnet.includes(':'))!;
        c.endpoints.push({ network: n.name, networkId: n.id, endpointId: '(planned)', ip: addr.ip, prefixLen: addr.prefixLen, gateway: sub.gateway, mac: null, ipv6: null, aliases: [], dnsNames: [] });
        sb.interfaces.push({ name: ifname, ifindex: 1000 + sb.interfaces.length, kind: 'veth', mac: null, mtu: 1500, up: true, addresses: [{ family: 'inet', local: addr.ip, prefixLen: addr.prefixLen, scope: 'global' }], hostVeth: { ifindex: -1, name: `veth(${ifname})` }, bridge: n.bridge });
        // The kernel routes a connected subnet through the new interface; the default route stays where it was.
        rt.routes.push({ table: 'main', type: 'unicast', dst: sub.subnet, family: 'inet', dev: ifname, gateway: null, prefsrc: addr.ip, protocol: 'kernel', scope: 'link', metric: 0, nexthops: [], flags: [] });
        rt.routes.push({ table: 'local', type: 'local', dst: `${addr.ip}/32`, family: 'inet', dev: ifname, gateway: null, prefsrc: addr.ip, protocol: 'kernel', scope: 'host', metric: 0, nexthops: [], flags: [] });
        return s;
      }
      case 'docker-user-insert': {
        const chain = s.firewall?.tables.find((t) => t.name === 'filter')?.chains.find((c) => c.name === 'DOCKER-USER');
        if (!chain) return s;
        // `iptables -I` puts each rule at the top: insert in reverse so they keep their listed order.
        chain.rules = [...patch.rules.map((text) => ({ index: 0, text, packets: 0, bytes: 0 })), ...chain.rules].map((r, i) => ({ ...r, index: i + 1 }));
        return s;
      }
      case 'sysctl':
        if (s.sysctls) s.sysctls.values[patch.key] = patch.value;
        return s;
      case 'delete-rule': {
        const chain = s.firewall?.tables.find((t) => t.name === patch.table)?.chains.find((c) => c.name === patch.chain);
        if (chain) chain.rules = chain.rules.filter((r) => r.text !== patch.text).map((r, i) => ({ ...r, index: i + 1 }));
        return s;
      }
    }
  });
}

/** A plan's steps as snapshot changes, so the model can predict the plan before anything is applied. */
export function applySteps(snapshots: HostSnapshot[], steps: PlanStep[]): HostSnapshot[] {
  const byHost = new Map<string, HostSnapshot>();
  const out = snapshots.map((s) => {
    if (!steps.some((x) => x.host === s.name)) return s;
    const c = structuredClone(s);
    byHost.set(c.name, c);
    return c;
  });
  const touched = new Set<{ rules: { index: number }[] }>();
  for (const step of steps) {
    const s = byHost.get(step.host);
    if (!s) continue;
    switch (step.kind) {
      case 'ip-route-add':
        s.routes?.routes.push({ table: 'main', type: 'unicast', dst: step.dst, family: 'inet', dev: step.dev, gateway: step.via, prefsrc: null, protocol: 'boot', scope: 'global', metric: 0, nexthops: [], flags: [] });
        break;
      case 'iptables-insert': {
        const table = s.firewall?.tables.find((t) => t.name === step.table);
        const chain = table?.chains.find((c) => c.name === step.chain);
        if (!chain) break;
        const text = ['-A', step.chain, ...step.rule.map((w) => (/\s/.test(w) ? `"${w}"` : w))].join(' ');
        // Each -I lands on top; renumbered once at the end.
        chain.rules.unshift({ index: 0, text, packets: 0, bytes: 0 });
        touched.add(chain);
        break;
      }
      case 'sysctl':
        if (s.sysctls) s.sysctls.values[step.key] = step.value;
        break;
      default:
        break;
    }
  }
  for (const chain of touched) chain.rules.forEach((r, i) => (r.index = i + 1));
  return out;
}
