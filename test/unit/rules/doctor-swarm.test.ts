// Doctor across a two-node swarm, on the lab's captured nodes (scenario A: two attachable overlays, every port open;
// B: h2's INPUT drops udp 4789) and on documented derivations of them (derive-swarm-doctor.ts): closed swarm ports with the
// rule or policy and the peer, an unroutable data path, overlay subnets colliding with a LAN or a bridge, the overlay
// MTU against the underlay's, Docker's rules flushed; and the swarm-ports fix, predicted on the changed snapshots.
import { describe, expect, it } from 'vitest';
import { doctorAll } from '../../../rules/doctor/segment.js';
import type { Finding } from '../../../rules/doctor/finding.js';
import { buildWorld } from '../../../rules/model/build.js';
import { swarmPortsForDoctor } from '../../../rules/changes/fix-kinds/swarm-ports.js';
import { applySteps } from '../../../rules/changes/predict.js';
import { adviseFixes } from '../../../rules/changes/fixes.js';
import { why } from '../../../rules/why/why.js';
import { stepCommand } from '../../../rules/steps/command.js';
import { appendRules, withRules } from '../derive.js';
import { parseRule } from '../../../rules/iptables/parse.js';
import { flushed, swarmNode, withFirewalld, withIngressRules, withIngressService, withIpvs, withMtu, withOverlaySubnet, withUnreachable } from '../derive-swarm-doctor.js';
import type { HostSnapshot } from '../../../snapshot/host-snapshot.js';
import { withServices } from '../derive-swarm.js';

const SWARM = ['swarm-port-closed', 'swarm-data-path-unroutable', 'overlay-subnet-collision', 'overlay-mtu'];
const swarm = (snaps: HostSnapshot[]) => doctorAll(snaps).filter((f) => SWARM.includes(f.code));
const only = (fs: Finding[], code: string) => fs.filter((f) => f.code === code);

describe('doctor on the captured swarm', () => {
  it('scenario A (every port open, one MTU, own subnets): no swarm finding, and none of the false ones a swarm node used to draw', () => {
    const all = doctorAll([swarmNode('a-h1'), swarmNode('a-h2')]);
    expect(all.filter((f) => SWARM.includes(f.code))).toEqual([]);
    // ingress_sbox's veth on docker_gwbridge is Docker's link, docker_gwbridge's subnet is every node's by design.
    expect(all.map((f) => f.code).filter((c) => c.startsWith('segment-') || c === 'bridge-port-outside-view' || c === 'subnet-overlap-across-hosts')).toEqual([]);
  });

  it('scenario B: h2 drops 4789/udp from h1, named with the rule, the addresses, the interface and the exact accept', () => {
    const f = swarm([swarmNode('b-h1'), swarmNode('b-h2')]);
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ code: 'swarm-port-closed', severity: 'error', host: 'h2', subject: 'h1' });
    expect(f[0]!.title).toBe("h2 drops swarm port 4789/udp (overlay data path) from h1 (10.77.0.11): overlay traffic from h1 never reaches h2's containers (the VXLAN packets are dropped before decapsulation; dockerd logs nothing)");
    expect(f[0]!.evidence).toEqual(['10.77.0.11 → 10.77.0.12:4789/udp (VNI 4097, overlay ov1) in on eth0: filter INPUT rule 1: -A INPUT -p udp -m udp --dport 4789 -j DROP']);
    expect(f[0]!.fix).toMatch(/^iptables -w -I INPUT -s 10\.77\.0\.11\/32 -d 10\.77\.0\.12\/32 -p udp --dport 4789 -m comment --comment netdiag:(fx-[0-9a-f]{8}) -j ACCEPT \(netdiag fix applies it, journaled and undone by netdiag rollback\); lost at reboot/);
  });

  it('scenario B with only h2 in view: h1 is known from h2\'s list of managers, and what is assumed of it is said', () => {
    const [f] = swarm([swarmNode('b-h2')]);
    expect(f).toMatchObject({ code: 'swarm-port-closed', host: 'h2', subject: 'manager j8jyyn3twd46' });
    expect(f!.evidence).toEqual([
      '10.77.0.11 → 10.77.0.12:4789/udp (VNI 4097, overlay ov1) in on eth0: filter INPUT rule 1: -A INPUT -p udp -m udp --dport 4789 -j DROP',
      "manager j8jyyn3twd46 is not in view: its address 10.77.0.11 is read from h2's list of managers, and taken as both its advertise and its data-path address",
    ]);
  });

  it('gossip closed on the manager (iptables -I INPUT … --dport 7946 -j DROP, tcp and udp, on a-h1): both ports named, for h2; 2377 and 4789 not', () => {
    const h1 = withRules(swarmNode('a-h1'), 'filter', 'INPUT', ['-A INPUT -p tcp -m tcp --dport 7946 -j DROP', '-A INPUT -p udp -m udp --dport 7946 -j DROP']);
    const f = swarm([h1, swarmNode('a-h2')]);
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ code: 'swarm-port-closed', host: 'h1', subject: 'h2' });
    expect(f[0]!.title).toMatch(/^h1 drops swarm ports 7946\/tcp \(node gossip\), 7946\/udp \(node gossip\) from h2 \(10\.77\.0\.12\): h2 cannot keep h1 in the swarm's gossip or raft/);
    expect(f[0]!.evidence).toEqual([
      '10.77.0.12 → 10.77.0.11:7946/tcp in on eth0: filter INPUT rule 1: -A INPUT -p tcp -m tcp --dport 7946 -j DROP',
      '10.77.0.12 → 10.77.0.11:7946/udp in on eth0: filter INPUT rule 2: -A INPUT -p udp -m udp --dport 7946 -j DROP',
    ]);
  });

  it('INPUT policy DROP on both nodes (iptables -P INPUT DROP): the manager needs 2377 too, the worker does not; the policy is named', () => {
    const drop = (s: HostSnapshot) => {
      s.firewall!.tables.find((t) => t.name === 'filter')!.chains.find((c) => c.name === 'INPUT')!.policy = 'DROP';
      return s;
    };
    const f = swarm([drop(swarmNode('a-h1')), drop(swarmNode('a-h2'))]);
    expect(f.map((x) => [x.host, x.subject])).toEqual([['h1', 'h2'], ['h2', 'h1']]);
    expect(f[0]!.evidence.map((e) => e.split(':')[0])).toEqual(['10.77.0.12 → 10.77.0.11', '10.77.0.12 → 10.77.0.11', '10.77.0.12 → 10.77.0.11', '10.77.0.12 → 10.77.0.11']);
    expect(f[0]!.title).toMatch(/ports 2377\/tcp \(cluster management\), 7946\/tcp \(node gossip\), 7946\/udp \(node gossip\), 4789\/udp \(overlay data path\) from h2/);
    expect(f[1]!.title).toMatch(/ports 7946\/tcp \(node gossip\), 7946\/udp \(node gossip\), 4789\/udp \(overlay data path\) from h1/);
    expect(f[1]!.evidence[0]).toBe('10.77.0.11 → 10.77.0.12:7946/tcp in on eth0: filter INPUT policy');
    expect(f[1]!.evidence[2]).toBe('10.77.0.11 → 10.77.0.12:4789/udp (VNI 4097, overlay ov1) in on eth0: filter INPUT policy');
  });

  it("firewalld started on h2 (its captured inet firewalld table): its public zone rejects the worker's three ports, the accepts go first in its filter_INPUT, and firewall-cmd keeps it", () => {
    const f = swarm([swarmNode('a-h1'), withFirewalld(swarmNode('a-h2'))]);
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ code: 'swarm-port-closed', host: 'h2', subject: 'h1' });
    expect(f[0]!.evidence).toEqual(['7946/tcp', '7946/udp', '4789/udp (VNI 4097, overlay ov1)'].map((p) => `10.77.0.11 → 10.77.0.12:${p} in on eth0: inet firewalld chain filter_IN_public rule handle 72: reject with icmpx admin-prohibited`));
    expect(f[0]!.fix).toMatch(/^nft insert rule inet firewalld filter_INPUT ip saddr 10\.77\.0\.11 ip daddr 10\.77\.0\.12 tcp dport 7946 accept comment "netdiag:fx-[0-9a-f]{8}"; /);
    expect(f[0]!.fix).toMatch(/firewalld rewrites its table on reload, so keep it with: firewall-cmd --permanent --add-rich-rule='rule family="ipv4" source address="10\.77\.0\.11" port port="7946" protocol="tcp" accept' \(in the zone of eth0\);.*; firewall-cmd --reload$/);
  });

  it('h2 without a route to h1 (ip route add unreachable 10.77.0.11/32): the data path named unroutable on h2 only', () => {
    const f = swarm([swarmNode('a-h1'), withUnreachable(swarmNode('a-h2'), '10.77.0.11/32')]);
    const d = only(f, 'swarm-data-path-unroutable');
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ host: 'h2', subject: 'h1', severity: 'error' });
    expect(d[0]!.title).toBe("h2 has a unreachable route to h1's data-path address 10.77.0.11: its VXLAN packets for h1 go nowhere, so no overlay carries anything between them");
    expect(d[0]!.evidence).toEqual(["h2's data-path address 10.77.0.12", "h1's data-path address 10.77.0.11", 'route unreachable 10.77.0.11/32 (table main)']);
  });

  it("h2's eth0 at MTU 1400 (ip link set eth0 mtu 1400): every overlay's 1450 + 50 named on h2, with Docker's MTU option; h1 is fine", () => {
    const f = only(swarm([swarmNode('a-h1'), withMtu(swarmNode('a-h2'), 'eth0', 1400)]), 'overlay-mtu');
    expect(f.map((x) => `${x.host}/${x.subject}`).sort()).toEqual(['h2/ingress', 'h2/ov1', 'h2/ov2']);
    const ov1 = f.find((x) => x.subject === 'ov1')!;
    expect(ov1.title).toBe("overlay ov1 has MTU 1450, but h2's path to its peers carries 1400: a full-size frame becomes a 1500-byte VXLAN packet, which is dropped or fragmented (small pings pass, large transfers stall)");
    expect(ov1.evidence).toEqual(['overlay ov1: vxlan0 mtu 1450 in 1-rzg7tygve8', 'VXLAN adds 50 bytes: 1450 + 50 = 1500', 'to h1 (10.77.0.11) out of eth0, mtu 1400']);
    expect(ov1.fix).toMatch(/^the MTU is Docker's network option: recreate ov1 with docker network create -d overlay --attachable --opt com\.docker\.network\.driver\.mtu=1350 … ov1/);
    expect(f.find((x) => x.subject === 'ingress')!.fix).toMatch(/docker network create -d overlay --ingress --opt com\.docker\.network\.driver\.mtu=1350/);
  });

  it('ov1 on the LAN\'s prefix (created with --subnet 10.77.0.0/25): the collision named as the overlay\'s, on each node, not as a bridge\'s', () => {
    const f = doctorAll([withOverlaySubnet(swarmNode('a-h1'), 'ov1', '10.77.0.0/25'), withOverlaySubnet(swarmNode('a-h2'), 'ov1', '10.77.0.0/25')]);
    const c = only(f, 'overlay-subnet-collision');
    expect(c.map((x) => `${x.host}/${x.subject}`)).toEqual(['h1/ov1', 'h2/ov1']);
    expect(c[0]!.title).toBe("overlay ov1 (10.77.0.0/25) collides with h1's route 10.77.0.0/24 dev eth0: inside every container on ov1, its on-link route takes 10.77.0.0/25, which the LAN holds");
    expect(c[0]!.fix).toMatch(/^recreate ov1 with a subnet no host in view uses: docker network rm ov1; docker network create -d overlay --attachable --subnet <a free range> ov1/);
    expect(only(f, 'subnet-overlaps-route').filter((x) => x.subject === 'ov1')).toEqual([]);
  });

  it("ov2 on h2's bridge network ub2's subnet (--subnet 172.31.2.0/24): named on both nodes, naming h2's bridge", () => {
    const f = only(swarm([withOverlaySubnet(swarmNode('a-h1'), 'ov2', '172.31.2.0/24'), withOverlaySubnet(swarmNode('a-h2'), 'ov2', '172.31.2.0/24')]), 'overlay-subnet-collision');
    const bridge = f.filter((x) => x.title.includes('bridge network ub2'));
    expect(bridge.map((x) => x.host)).toEqual(['h1', 'h2']);
    expect(bridge[0]!.evidence).toEqual(['overlay ov2: 172.31.2.0/24', "h2: bridge network ub2 on br-ffe8ba367878: 172.31.2.0/24"]);
  });

  it('Docker\'s rules flushed on h2 (iptables -F; iptables -t nat -F, as a firewalld reload does): docker_gwbridge\'s named among them', () => {
    const f = doctorAll([swarmNode('a-h1'), flushed(swarmNode('a-h2'))]).find((x) => x.code === 'docker-rules-missing');
    expect(f).toMatchObject({ host: 'h2' });
    expect(f!.evidence).toContain('network docker_gwbridge on docker_gwbridge: no isolation, no forward accepts, no MASQUERADE');
  });

  it('a service published through ingress (8080/tcp) on the manager: with the rules moby writes nothing is missing; without them, or after iptables -F, each is named', () => {
    const wiped = (s: HostSnapshot) => doctorAll([s]).find((x) => x.code === 'docker-rules-missing');
    expect(wiped(withIngressRules(withIngressService(swarmNode('a-h1'), 'web', 8080), 8080))).toBeUndefined();
    const none = wiped(withIpvs(withIngressService(swarmNode('a-h1'), 'web', 8080)))!;
    expect(none.title).toMatch(/^Docker's iptables rules are missing for the ingress routing mesh: /);
    expect(none.evidence).toContain('ingress port 8080/tcp of service web: no jump to nat DOCKER-INGRESS from PREROUTING/OUTPUT, no DNAT for 8080/tcp in nat DOCKER-INGRESS, no jump to filter DOCKER-INGRESS from DOCKER-FORWARD or FORWARD, no accept of 8080/tcp in filter DOCKER-INGRESS');
    const reloaded = wiped(flushed(withIngressRules(withIngressService(swarmNode('a-h1'), 'web', 8080), 8080)))!;
    expect(reloaded.evidence).toContain('ingress port 8080/tcp of service web: no jump to nat DOCKER-INGRESS from PREROUTING/OUTPUT, no DNAT for 8080/tcp in nat DOCKER-INGRESS, no jump to filter DOCKER-INGRESS from DOCKER-FORWARD or FORWARD, no accept of 8080/tcp in filter DOCKER-INGRESS');
    expect(reloaded.evidence).toContain('network docker_gwbridge on docker_gwbridge: no isolation, no forward accepts, no MASQUERADE');
    // Only the missing DNAT (a port whose rule alone went): named alone.
    const one = withIngressRules(withIngressService(swarmNode('a-h1'), 'web', 8080), 8080);
    const nat = one.firewall!.tables.find((t) => t.name === 'nat')!.chains.find((c) => c.name === 'DOCKER-INGRESS')!;
    nat.rules = nat.rules.filter((r) => r.index !== 1).map((r, i) => ({ ...r, index: i + 1 }));
    expect(wiped(one)!.evidence).toContain('ingress port 8080/tcp of service web: no DNAT for 8080/tcp in nat DOCKER-INGRESS');
  });
});

describe('an encrypted overlay and a published service (the svc capture: no IPVS, no ESP on this kernel)', () => {
  it("moby's encrypted-overlay rules parse as what they match: the VNI (u32) and IPsec's absence (policy)", () => {
    const r = parseRule('-A INPUT -p udp -m policy --dir in --pol none -m udp --dport 4789 -m u32 --u32 "0x0>>0x16&0x3c@0xc&0xffffff00=0x100300" -j DROP');
    expect(r.matches.map((m) => m.kind)).toEqual(['proto', 'policy', 'dport', 'u32']);
    expect(r.matches[1]).toEqual({ kind: 'policy', dir: 'in', pol: 'none', neg: false });
    // u32 is evaluated as an expression (u32.test.ts); text that is not one stays unknown.
    expect(parseRule('-A INPUT -m u32 --u32 "0x0>>0x16&&0x3c" -j DROP').matches).toEqual([{ kind: 'unknown', text: '-m u32 --u32 0x0>>0x16&&0x3c' }]);
  });

  it('Docker\'s drop of ov3\'s cleartext VXLAN (VNI 4099) closes no port for the clear overlays; the published port without IPVS is named; no mesh rules expected', () => {
    const all = doctorAll([swarmNode('svc-h1'), swarmNode('svc-h2')]);
    expect(all.filter((f) => f.code === 'swarm-port-closed' || f.code === 'docker-rules-missing')).toEqual([]);
    const mesh = all.filter((f) => f.code === 'ingress-without-ipvs');
    expect(mesh.map((f) => f.host)).toEqual(['h1', 'h2']);
    expect(mesh[0]!.title).toBe('h1 has no IPVS in ingress_sbox (the kernel lacks ip_vs, or it was not read): the routing mesh cannot publish web 8080/tcp on h1, and service VIPs are not balanced there');
  });

  it("why across the clear overlays is answered through Docker's VNI rules (the outer packet carries its VNI); the encrypted one stays unknown, as ESP is not walked", () => {
    const world = buildWorld([swarmNode('svc-h1'), swarmNode('svc-h2')]);
    const ping = { proto: 'icmp' as const, port: null };
    expect(why(world, 'a1', 'a2', ping).addresses.find((x) => x.network === 'ov1')?.verdict).toBe('reachable');
    expect(why(world, 'b2', 'b1', ping).addresses.find((x) => x.network === 'ov2')?.verdict).toBe('reachable');
    const enc = why(world, 'e1', 'e2', ping).addresses.find((x) => x.network === 'ov3');
    expect(enc?.verdict).toBe('unknown');
    expect(enc?.decidedBy).toMatchObject({ kind: 'overlay', cause: 'encrypted' });
  });

  it('a drop of all VXLAN after Docker\'s (iptables -A INPUT -p udp --dport 4789 -j DROP on svc-h2): named for ov1\'s VNI, and the accept goes below Docker\'s encrypted-overlay drops, not above them', () => {
    const snaps = [swarmNode('svc-h1'), appendRules(swarmNode('svc-h2'), 'filter', 'INPUT', ['-A INPUT -p udp -m udp --dport 4789 -j DROP'])];
    const [f] = swarm(snaps);
    expect(f!.evidence).toEqual(['10.77.0.11 → 10.77.0.12:4789/udp (VNI 4097, overlay ov1) in on eth0: filter INPUT rule 3: -A INPUT -p udp -m udp --dport 4789 -j DROP']);
    const [fix] = swarmPortsForDoctor(buildWorld(snaps));
    expect(fix!.steps).toEqual([expect.objectContaining({ kind: 'iptables-insert', chain: 'INPUT', position: 3 })]);
    expect(fix!.note).toMatch(/iptables filter INPUT \(at 3, below Docker's drops of encrypted overlays' cleartext VXLAN\)/);
    const after = applySteps(snaps, fix!.steps);
    expect(swarm(after)).toEqual([]);
    const input = after[1]!.firewall!.tables.find((t) => t.name === 'filter')!.chains.find((c) => c.name === 'INPUT')!.rules.map((r) => r.text);
    expect(input[0]).toMatch(/--pol none .*-j DROP$/);
    expect(input[2]).toMatch(/^-A INPUT -s 10\.77\.0\.11\/32 -d 10\.77\.0\.12\/32 -p udp --dport 4789 .*-j ACCEPT$/);
  });
});

describe('the swarm-ports fix', () => {
  it('scenario B: one accept for h1 on h2, predicted to clear the finding; the lab\'s rule left where it is', () => {
    const snaps = [swarmNode('b-h1'), swarmNode('b-h2')];
    const [fix, ...more] = swarmPortsForDoctor(buildWorld(snaps));
    expect(more).toEqual([]);
    expect(fix).toMatchObject({ kind: 'swarm-ports', title: 'open 4789/udp on h2 for h1', discouraged: false, persistence: { daemonRestart: true, reboot: false } });
    expect(fix!.steps.map(stepCommand)).toEqual([`iptables -w -I INPUT -s 10.77.0.11/32 -d 10.77.0.12/32 -p udp --dport 4789 -m comment --comment netdiag:${fix!.id} -j ACCEPT`]);
    // The same ID in doctor's text, so the comment a person reads is the one rollback deletes.
    expect(swarm(snaps)[0]!.fix).toContain(`netdiag:${fix!.id}`);
    const after = applySteps(snaps, fix!.steps);
    expect(swarm(after)).toEqual([]);
    expect(after[1]!.firewall!.tables.find((t) => t.name === 'filter')!.chains.find((c) => c.name === 'INPUT')!.rules.map((r) => r.text)).toEqual([
      `-A INPUT -s 10.77.0.11/32 -d 10.77.0.12/32 -p udp --dport 4789 -m comment --comment netdiag:${fix!.id} -j ACCEPT`,
      '-A INPUT -p udp -m udp --dport 4789 -j DROP',
    ]);
  });

  it('why a1 → a2 and a2 → a1 on scenario B: decided on the VXLAN packet (tunnel), so fix offers this accept alone — no DOCKER-USER rule for the inner pair — with doctor\'s ID, predicted to open both ways', () => {
    const world = buildWorld([swarmNode('b-h1'), swarmNode('b-h2')]);
    const ping = { proto: 'icmp' as const, port: null };
    const [doctors] = swarmPortsForDoctor(world);
    for (const [from, to] of [['a1', 'a2'], ['a2', 'a1']] as const) {
      const answer = why(world, from, to, ping);
      const blocked = answer.addresses.find((x) => x.verdict === 'blocked' && x.decidedBy?.tunnel);
      expect(blocked?.decidedBy).toMatchObject({ kind: 'rule', host: 'h2', table: 'filter', chain: 'INPUT', index: 1, tunnel: { network: 'ov1', src: '10.77.0.11', dst: '10.77.0.12', port: 4789 } });
      const advice = adviseFixes(world, answer, ping);
      expect(advice.status).toBe('fixes');
      expect(advice.fixes.map((f) => [f.kind, f.id])).toEqual([['swarm-ports', doctors!.id]]);
      expect(advice.fixes[0]!.predicted).toMatchObject({ forward: 'reachable', reverse: 'reachable' });
    }
  });

  it('firewalld on h2: the accepts go first in inet firewalld filter_INPUT, and predicted to clear every port', () => {
    const snaps = [swarmNode('a-h1'), withFirewalld(swarmNode('a-h2'))];
    const [fix] = swarmPortsForDoctor(buildWorld(snaps));
    expect(fix!.steps.map((s) => s.kind)).toEqual(['nft-insert', 'nft-insert', 'nft-insert']);
    expect(fix!.note).toMatch(/^The accept goes first in inet firewalld filter_INPUT, the table that drops it .* firewalld rewrites its table on reload: firewall-cmd --permanent/);
    expect(swarm(applySteps(snaps, fix!.steps))).toEqual([]);
  });
});

describe('load-balancing namespaces that do not forward (moby#38723)', () => {
  const findings = (forwarding: boolean | null) => {
    const [h1, h2] = withServices(swarmNode('a-h1'), swarmNode('a-h2'), { balancerForwarding: forwarding });
    return doctorAll([h1, h2]).filter((f) => f.code === 'balancer-not-forwarding');
  };

  it('names each lb_ and ingress_sbox with IPVS services and ip_forward 0, with the services and the sysctl', () => {
    const found = findings(false);
    expect(found.map((f) => `${f.host}/${f.subject}`).sort()).toEqual(['h1/ingress_sbox', 'h1/lb_rzg7tygve', 'h2/ingress_sbox', 'h2/lb_rzg7tygve'].sort());
    expect(found[0]!.evidence[0]).toMatch(/net\.ipv4\.ip_forward = 0/);
    expect(found.every((f) => /^nsenter --net=\S+ sysctl -w net\.ipv4\.ip_forward=1/.test(f.fix))).toBe(true);
  });

  it('says nothing where they forward, and nothing where nothing is balanced (the captured lab: no IPVS at all)', () => {
    expect(findings(true)).toEqual([]);
    expect(doctorAll([swarmNode("a-h1"), swarmNode("a-h2")]).filter((f) => f.code === 'balancer-not-forwarding')).toEqual([]);
  });
});
