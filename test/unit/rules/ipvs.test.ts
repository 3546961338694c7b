// IPVS as moby programs it, on the captured two-node swarm with services shaped in code (test/unit/derive-swarm.ts):
// the ingress mesh from another node and from outside the swarm, no tasks, a missing mark, and the reply un-NATed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIp } from '../../../rules/addr/addr.js';
import { parseRule } from '../../../rules/iptables/parse.js';
import { balancerOnBridge, balancerOwning, balancersOf } from '../../../rules/model/balancer.js';
import { buildWorld } from '../../../rules/model/build.js';
import { compileIpvs, realPort, schedulable, virtualFor } from '../../../rules/model/ipvs.js';
import type { World } from '../../../rules/model/types.js';
import { why } from '../../../rules/why/why.js';
import { Decision } from '../../../snapshot/contract.js';
import type { Hop, Step } from '../../../snapshot/contract.js';
import { SWARM, withServices } from '../derive-swarm.js';
import type { SwarmScenario } from '../derive-swarm.js';
import { capturedSwarm } from '../swarm-fixtures.js';
import { mobyDir } from '../fixtures.js';

const TCP = { proto: 'tcp', port: SWARM.web.publishedPort } as const;
const world = (sc: SwarmScenario = {}): World => buildWorld(withServices(capturedSwarm('a-h1.json'), capturedSwarm('a-h2.json'), sc));
const ip = (text: string) => parseIp(text) as number;
const steps = (hops: Hop[], at: string) => hops.filter((h) => h.at.name === at).flatMap((h) => h.steps);
const natSteps = (hops: Hop[]) => hops.flatMap((h) => h.steps).filter((s): s is Extract<Step, { type: 'nat' }> => s.type === 'nat');

describe('moby rules the model reads', () => {
  it('moby\'s SNAT of balanced packets is evaluated (-m ipvs --ipvs); an --ipvs option netdiag does not model stays unknown', () => {
    const snat = parseRule('-A POSTROUTING -d 10.0.0.0/24 -m ipvs --ipvs -j SNAT --to-source 10.0.0.2');
    expect(snat.matches.map((m) => m.kind)).toEqual(['dst', 'ipvs']);
    expect(snat.problems).toEqual([]);
    const vaddr = parseRule('-A POSTROUTING -m ipvs --vaddr 10.0.0.5/32 -j ACCEPT');
    expect(vaddr.matches.some((m) => m.kind === 'unknown')).toBe(true);
  });

  it('a virtual service is found by mark before address, never for ICMP; weight 0 is not scheduled; port 0 keeps the virtual port', () => {
    const [h1] = withServices(capturedSwarm('a-h1.json'), capturedSwarm('a-h2.json'));
    const sbox = h1.swarm!.namespaces.find((n) => n.role === 'ingress-sbox')!;
    const t = compileIpvs(sbox.ipvs)!;
    const pkt = { proto: 'tcp' as const, mark: SWARM.ingressMark, dst: ip('172.17.0.2'), dport: 8080 };
    const v = virtualFor(t, pkt)!;
    expect(v.text).toBe(`FWM ${SWARM.ingressMark}`);
    expect(schedulable(v).map((d) => d.ipText)).toEqual(['10.0.0.21', '10.0.0.22']);
    expect(realPort(schedulable(v)[0]!, 8080)).toBe(8080);
    expect(virtualFor(t, { ...pkt, mark: 0 })).toBeNull();
    expect(virtualFor(t, { ...pkt, proto: 'icmp' })).toBeNull();
    const [d1] = withServices(capturedSwarm('a-h1.json'), capturedSwarm('a-h2.json'), { webTasks: 'draining' });
    const drained = compileIpvs(d1.swarm!.namespaces.find((n) => n.role === 'ingress-sbox')!.ipvs)!;
    expect(schedulable(virtualFor(drained, pkt)!)).toEqual([]);
    expect(compileIpvs(null)).toBeNull();
  });

  it('ingress_sbox is found behind its docker_gwbridge port, and ov1\'s lb_ owns the VIP alias', () => {
    const w = world();
    const h1 = w.hosts.find((h) => h.name === 'h1')!;
    const lb = balancerOnBridge(h1, 'docker_gwbridge', ip('172.17.0.2'));
    expect(lb?.balancer.name).toBe('ingress_sbox');
    expect(lb?.iface).toBe('eth1');
    expect(balancerOnBridge(h1, 'docker_gwbridge', ip('172.17.0.3'))).toBeNull();
    const ov1 = h1.snapshot.swarm!.networks.find((n) => n.name === 'ov1')!.id;
    expect(balancerOwning(h1, ov1, ip(SWARM.web.vip))?.name).toMatch(/^lb_/);
    expect(balancersOf(h1).map((b) => b.role).sort()).toEqual(['ingress-sbox', 'load-balancer', 'load-balancer']);
  });
});

describe('the ingress mesh: a published port through ingress_sbox to every task', () => {
  it('from another node: DOCKER-INGRESS DNAT, the mark, IPVS to each task (either node) and ingress_sbox\'s SNAT — every task walked, reply included', () => {
    const r = why(world({ balancerForwarding: true }), 'h2', '10.77.0.11', TCP);
    const a = r.addresses[0]!;
    expect(a.verdict).toBe('reachable');
    const onH1 = steps(a.request, 'h1');
    const dnat = onH1.find((s) => s.type === 'nat' && s.kind === 'DNAT') as Extract<Step, { type: 'nat' }>;
    expect(dnat.to).toBe('172.17.0.2:8080');
    expect(dnat.rule?.chain).toBe('DOCKER-INGRESS');
    const sbox = steps(a.request, 'ingress_sbox');
    const mark = sbox.find((s) => s.type === 'chain' && s.table === 'mangle' && s.chain === 'PREROUTING') as Extract<Step, { type: 'chain' }>;
    expect(mark.path.at(-1)?.text).toContain('--set-xmark 0x100/0xffffffff');
    const nats = natSteps(a.request).map((s) => `${s.kind} ${s.from} -> ${s.to}`);
    expect(nats).toEqual(['DNAT 10.77.0.11:8080 -> 172.17.0.2:8080', 'IPVS 172.17.0.2:8080 -> 10.0.0.21:8080', 'SNAT 10.77.0.12:40000 -> 10.0.0.2:40000', 'REDIRECT 10.0.0.21:8080 -> 10.0.0.21:80']);
    // Both tasks are walked (a2's over the ingress VXLAN to h2); the note lists each one's verdict.
    const note = (a.request[0]!.steps[0] as { text: string }).text;
    expect(note).toContain('10.0.0.21:8080 (ingress_sbox on h1): reachable; 10.0.0.22:8080 (ingress_sbox on h1): reachable');
    expect(a.deliveredTo).toContain('a1');
    expect(natSteps(a.reply).map((s) => s.kind)).toEqual(['un-DNAT', 'un-SNAT', 'un-DNAT', 'un-DNAT']);
  });

  it('a task whose node the ingress network\'s entries do not reach: blocked, naming that task (the other still answers)', () => {
    const [h1, h2] = withServices(capturedSwarm('a-h1.json'), capturedSwarm('a-h2.json'), { balancerForwarding: true });
    const ingressNs = h1.swarm!.namespaces.find((n) => n.role === 'overlay' && n.networkId === h1.swarm!.networks.find((x) => x.ingress)!.id)!;
    ingressNs.neighbours = ingressNs.neighbours.filter((n) => n.dst !== '10.0.0.22');
    const a = why(buildWorld([h1, h2]), 'h2', '10.77.0.11', TCP).addresses[0]!;
    expect(a.verdict).toBe('blocked');
    expect(a.decidedBy).toMatchObject({ kind: 'overlay', cause: 'no-peer', address: '10.0.0.22' });
    expect(a.decidedBy?.reason).toMatch(/^1 of 2 task walks are blocked; task 10\.0\.0\.22:8080 \(ingress_sbox on h1\) of service web: /);
  });

  it('from outside the swarm (a bridge container on h2, masqueraded onto the LAN) the same way', () => {
    const r = why(world({ balancerForwarding: true }), 'h2/u2', '10.77.0.11', TCP);
    const a = r.addresses[0]!;
    expect(natSteps(a.request).map((s) => s.kind)).toEqual(['MASQUERADE', 'DNAT', 'IPVS', 'SNAT', 'REDIRECT']);
    expect(a.verdict).toBe('reachable');
  });

  it('from the node itself: nat OUTPUT\'s DOCKER-INGRESS, then moby\'s MASQUERADE of a local source out of docker_gwbridge', () => {
    const a = why(world({ balancerForwarding: true }), 'h1', '10.77.0.11', TCP).addresses[0]!;
    const masq = natSteps(a.request).find((s) => s.kind === 'MASQUERADE');
    expect(masq?.rule?.text).toBe('-A POSTROUTING -o docker_gwbridge -m addrtype --src-type LOCAL -j MASQUERADE');
    expect(masq?.to).toBe('172.17.0.1:40000');
    expect(a.verdict).toBe('reachable');
  });

  it('no tasks: the virtual service has no real server, so the kernel rejects (no-tasks), naming the service', () => {
    const a = why(world({ webTasks: 'none' }), 'h2', '10.77.0.11', TCP).addresses[0]!;
    expect(a.verdict).toBe('blocked');
    expect(Decision.parse(a.decidedBy)).toMatchObject({ kind: 'service', cause: 'no-tasks', code: 'no-tasks', service: 'web', namespace: 'ingress_sbox', virtual: `FWM ${SWARM.ingressMark}` });
    expect(a.decidedBy?.at).toEqual({ kind: 'balancer', host: 'h1', name: 'ingress_sbox' });
  });

  it('tasks all draining (weight 0) are no-tasks too, and the sentence says they are being removed', () => {
    const a = why(world({ webTasks: 'draining' }), 'h2', '10.77.0.11', TCP).addresses[0]!;
    expect(a.decidedBy).toMatchObject({ kind: 'service', cause: 'no-tasks' });
    expect(a.decidedBy?.reason).toContain('weight 0');
  });

  it('the published port\'s mark rule missing: IPVS never sees the packet (not-balanced), nothing is balanced', () => {
    const a = why(world({ missingMark: 'published' }), 'h2', '10.77.0.11', TCP).addresses[0]!;
    expect(a.verdict).toBe('blocked');
    expect(a.decidedBy).toMatchObject({ kind: 'service', cause: 'not-balanced', code: 'not-balanced', service: 'web' });
    expect(natSteps(a.request).map((s) => s.kind)).toEqual(['DNAT']);
  });

  it('a port DOCKER-INGRESS does not publish is not sent to ingress_sbox at all', () => {
    const a = why(world(), 'h2', '10.77.0.11', { proto: 'tcp', port: 8081 }).addresses[0]!;
    expect(a.request.some((h) => h.at.kind === 'balancer')).toBe(false);
  });
});

describe('the reply through ingress_sbox: conntrack and IPVS undo what they did', () => {
  it('the task\'s REDIRECT undone, un-SNAT to the client, IPVS\'s un-DNAT to 172.17.0.2:8080, the node\'s un-DNAT to 10.77.0.11:8080: back at h2', () => {
    const a = why(world({ balancerForwarding: true }), 'h2', '10.77.0.11', TCP).addresses[0]!;
    expect(natSteps(a.reply).map((s) => `${s.kind} ${s.from} -> ${s.to}`)).toEqual([
      'un-DNAT 10.0.0.21:80 -> 10.0.0.21:8080',
      'un-SNAT 10.0.0.2:40000 -> 10.77.0.12:40000',
      'un-DNAT 10.0.0.21:8080 -> 172.17.0.2:8080',
      'un-DNAT 172.17.0.2:8080 -> 10.77.0.11:8080',
    ]);
    expect(a.reply.at(-1)?.at).toEqual({ kind: 'host', host: 'h2', name: 'h2' });
  });

  it('with ip_forward 0 in ingress_sbox (as captured in the lab\'s nested hosts: moby#38723) the reply is dropped there', () => {
    const a = why(world(), 'h2', '10.77.0.11', TCP).addresses[0]!;
    expect(a.verdict).toBe('blocked');
    expect(a.decidedBy).toMatchObject({ kind: 'sysctl', direction: 'reply', key: 'net.ipv4.ip_forward', code: 'ip-forward-off', at: { kind: 'balancer', name: 'ingress_sbox' } });
  });
});

describe('the shaped rules are moby\'s', () => {
  it('every rule the derivation adds parses with nothing netdiag cannot evaluate', () => {
    const [h1, h2] = withServices(capturedSwarm('a-h1.json'), capturedSwarm('a-h2.json'));
    const texts = [h1, h2].flatMap((s) => [
      ...s.firewall!.tables,
      ...s.swarm!.namespaces.flatMap((n) => n.firewall ?? []),
      ...s.swarm!.sandboxes.flatMap((x) => x.firewall ?? []),
    ]).flatMap((t) => t.chains.flatMap((c) => c.rules.map((r) => r.text)));
    const added = texts.filter((t) => /INGRESS|MARK|ipvs|REDIRECT|9090|10\.0\.0\.2[12]/.test(t));
    expect(added.length).toBeGreaterThan(20);
    for (const t of added) {
      const r = parseRule(t);
      expect({ t, problems: r.problems, unknown: r.matches.filter((m) => m.kind === 'unknown') }).toEqual({ t, problems: [], unknown: [] });
      expect(r.target.kind).not.toBe('unknown');
    }
  });

  it('the node\'s ingress NAT rules are line for line moby\'s own generated dump (28.x; its gwbridge 172.18.0.2 here 172.17.0.2)', () => {
    const dump = readFileSync(join(mobyDir(), 'docker28-swarm-ingress.iptables.txt'), 'utf8').split('\n');
    const nat = dump.slice(dump.indexOf('*nat')).filter((l) => l.includes('DOCKER-INGRESS') && l.startsWith('-A') || l.includes('--src-type LOCAL')).map((l) => l.replace('172.18.0.2', '172.17.0.2'));
    const [h1] = withServices(capturedSwarm('a-h1.json'), capturedSwarm('a-h2.json'));
    const ours = h1.firewall!.tables.find((t) => t.name === 'nat')!.chains.flatMap((c) => c.rules.map((r) => r.text)).filter((l) => l.includes('DOCKER-INGRESS') || l.includes('--src-type LOCAL'));
    expect(ours.sort()).toEqual(nat.sort());
    // filter: the same rules, but 20.10 matches the reply with -m state where 28 uses -m conntrack.
    const filter = h1.firewall!.tables.find((t) => t.name === 'filter')!.chains.find((c) => c.name === 'DOCKER-INGRESS')!.rules.map((r) => r.text);
    expect(filter).toEqual(['-A DOCKER-INGRESS -p tcp -m tcp --dport 8080 -j ACCEPT', '-A DOCKER-INGRESS -p tcp -m state --state RELATED,ESTABLISHED -m tcp --sport 8080 -j ACCEPT', '-A DOCKER-INGRESS -j RETURN']);
  });
});
