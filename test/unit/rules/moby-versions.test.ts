// Docker 27–29 rule layouts (moby's generated iptables docs), evaluated around a real lab topology: bridge1
// 192.0.2.0/24 with c1 = 192.0.2.2 (-p 8080:80), c0 on docker0, and peer-1 on another host routing to 192.0.2.0/24.
// Each version's verdict, and the table and chain that decide it, follow from the rules moby generates for it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIptablesSave } from '../../../collectors/iptables-save.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import type { HostSnapshot } from '../../../snapshot/host-snapshot.js';
import { buildWorld } from '../../../rules/model/build.js';
import { why } from '../../../rules/why/why.js';
import { CAPTURED, mobyDir } from '../fixtures.js';

const load = (f: string) => parseSnapshot(JSON.parse(readFileSync(join(CAPTURED, 'moby-topology', f), 'utf8')));
const dockerHost = load('docker.json');
const peer = load('peer.json');

function withDump(file: string): HostSnapshot {
  const s = structuredClone(dockerHost);
  const dump = parseIptablesSave(readFileSync(join(mobyDir(), file), 'utf8'));
  s.firewall = { backend: 'nf_tables', version: null, tables: dump.tables, otherBackend: null, findings: [] };
  return s;
}

const ping = { proto: 'icmp' as const, port: null };
const tcp = (port: number) => ({ proto: 'tcp' as const, port });

/** The verdict, and the table and chain of what decided it: the drop when blocked, the accept when reachable. */
type Expect = { verdict: 'reachable' | 'blocked' | 'unknown'; table: string | undefined; chain: string | undefined };
const blockedIn = (table: string, chain: string): Expect => ({ verdict: 'blocked', table, chain });
const reachableBy = (table: string, chain: string): Expect => ({ verdict: 'reachable', table, chain });
/** Let through by a published-port ACCEPT in filter DOCKER. */
const published = reachableBy('filter', 'DOCKER');
/** Let through by FORWARD's policy ACCEPT (these dumps leave it ACCEPT). */
const byPolicy = reachableBy('filter', 'FORWARD');
/** Through every firewall, to a port nothing in c1 listens on: refused by the container's kernel, not by a rule. */
const refused: Expect = { verdict: 'blocked', table: undefined, chain: undefined };

function check(world: ReturnType<typeof buildWorld>, from: string, to: string, flow: Parameters<typeof why>[3], e: Expect) {
  const a = why(world, from, to, flow);
  const addr = a.addresses[0]!;
  const got = { verdict: a.verdict, table: addr.decidedBy?.table, chain: addr.decidedBy?.chain };
  if (e === refused) expect(addr.decidedBy?.kind, 'refused by the socket hop').toBe('socket');
  expect(got, `${from} → ${to} ${flow.proto}${flow.port ? `/${flow.port}` : ''}: ${addr.decidedBy?.reason}`).toEqual(e);
}

describe('the lab topology itself (live dockerd 20.10 rules)', () => {
  const world = buildWorld([dockerHost, peer]);
  it('isolates docker0 from bridge1, and lets the peer host route to c1 only through the policy (DROP here)', () => {
    check(world, 'docker/c0', 'docker/c1', ping, blockedIn('filter', 'DOCKER-ISOLATION-STAGE-2'));
    check(world, 'peer/peer-1', 'docker/c1', ping, blockedIn('filter', 'FORWARD'));
    check(world, 'peer/peer-1', 'docker/c1', tcp(80), published);
    check(world, 'peer/peer-1', '10.66.0.1', tcp(8080), published);
  });
});

describe.each([
  {
    dump: 'docker27-user-defined-bridge.iptables.txt',
    note: '20.10–27: isolation chains; DOCKER only accepts published ports and unpublished ones fall through to the policy (ACCEPT here)',
    c0: blockedIn('filter', 'DOCKER-ISOLATION-STAGE-2'),
    peerPing: byPolicy,
    peer80: published,
    peer81: refused,
    viaHost: published,
  },
  {
    dump: 'docker28.1-user-defined-bridge.iptables.txt',
    note: '28.0.1–28.1: DOCKER ends in a per-bridge DROP; raw drops direct access to the published port',
    c0: blockedIn('filter', 'DOCKER-ISOLATION-STAGE-2'),
    peerPing: blockedIn('filter', 'DOCKER'),
    peer80: blockedIn('raw', 'PREROUTING'),
    peer81: blockedIn('filter', 'DOCKER'),
    viaHost: published,
  },
  {
    dump: 'docker28-user-defined-bridge.iptables.txt',
    note: '28.2+: raw drops everything addressed to a nat-mode container from outside its bridge, before DOCKER-USER',
    c0: blockedIn('raw', 'PREROUTING'),
    peerPing: blockedIn('raw', 'PREROUTING'),
    peer80: blockedIn('raw', 'PREROUTING'),
    peer81: blockedIn('raw', 'PREROUTING'),
    viaHost: published,
  },
  {
    dump: 'docker29-user-defined-bridge.iptables.txt',
    note: '29 (iptables): no isolation chains; the raw direct-access drop decides between networks',
    c0: blockedIn('raw', 'PREROUTING'),
    peerPing: blockedIn('raw', 'PREROUTING'),
    peer80: blockedIn('raw', 'PREROUTING'),
    peer81: blockedIn('raw', 'PREROUTING'),
    viaHost: published,
  },
  {
    dump: 'docker28-gateway-routed.iptables.txt',
    note: '28 routed: no NAT, no raw drop; ICMP and published container ports accepted, the rest dropped in DOCKER. STAGE-1 returns early for traffic into a routed bridge (-o bridge1 -j RETURN), so other networks reach it the same way',
    c0: reachableBy('filter', 'DOCKER'),
    peerPing: reachableBy('filter', 'DOCKER'),
    peer80: published,
    peer81: blockedIn('filter', 'DOCKER'),
    viaHost: null,
  },
  {
    dump: 'docker28-gateway-nat-unprotected.iptables.txt',
    note: '28 nat-unprotected: every port reachable by direct routing; still isolated from other bridges',
    c0: blockedIn('filter', 'DOCKER-ISOLATION-STAGE-2'),
    peerPing: reachableBy('filter', 'DOCKER'),
    peer80: reachableBy('filter', 'DOCKER'),
    peer81: refused,
    viaHost: reachableBy('filter', 'DOCKER'),
  },
  {
    dump: 'docker29-gateway-nat-unprotected.iptables.txt',
    note: '29 nat-unprotected: with isolation gone, other networks reach it directly too',
    c0: reachableBy('filter', 'DOCKER'),
    peerPing: reachableBy('filter', 'DOCKER'),
    peer80: reachableBy('filter', 'DOCKER'),
    peer81: refused,
    viaHost: reachableBy('filter', 'DOCKER'),
  },
])('$dump', ({ dump, c0, peerPing, peer80, peer81, viaHost }) => {
  const world = buildWorld([withDump(dump), peer]);
  it('c0 on docker0 → c1 on bridge1', () => check(world, 'docker/c0', 'docker/c1', ping, c0));
  it('peer-1 on another host → c1 directly (ping, published 80, unpublished 81)', () => {
    check(world, 'peer/peer-1', 'docker/c1', ping, peerPing);
    check(world, 'peer/peer-1', 'docker/c1', tcp(80), peer80);
    check(world, 'peer/peer-1', 'docker/c1', tcp(81), peer81);
  });
  // Routed networks publish no host ports (no DNAT, no docker-proxy): nothing to check through the host there.
  if (viaHost) it('peer-1 → the host\'s address :8080, DNATed to c1:80', () => check(world, 'peer/peer-1', '10.66.0.1', tcp(8080), viaHost));
});

describe('docker28.0.0-user-defined-bridge.iptables.txt (ipset)', () => {
  const world = buildWorld([withDump('docker28.0.0-user-defined-bridge.iptables.txt'), peer]);
  it('decides without the set when another match of the rule already fails (ctstate NEW), then isolation drops', () => {
    check(world, 'docker/c0', 'docker/c1', ping, blockedIn('filter', 'DOCKER-ISOLATION-STAGE-2'));
  });
  it('is unknown, naming the -m set rule, when only the set could decide: its members are not in the snapshot', () => {
    const a = why(world, 'peer/peer-1', 'docker/c1', ping);
    expect(a.verdict).toBe('unknown');
    expect(a.addresses[0]!.decidedBy).toMatchObject({ kind: 'unknown-rule', chain: 'FORWARD', text: '-A FORWARD -m set --match-set docker-ext-bridges-v4 dst -j DOCKER' });
  });
});
