// Swarm services on the captured two-node swarm, shaped as moby 20.10.24 programs them (test/unit/derive-swarm.ts):
// names through Docker's DNS (VIP, dnsrr, tasks.), a VIP balanced in ov1's lb_ to the tasks on both nodes, and a
// host-mode published port (no mesh: only the node running the task answers).
import { describe, expect, it } from 'vitest';
import { parseIp } from '../../../rules/addr/addr.js';
import { balancersOf } from '../../../rules/model/balancer.js';
import { buildWorld } from '../../../rules/model/build.js';
import type { World } from '../../../rules/model/types.js';
import { serviceName } from '../../../rules/dns/service-names.js';
import { ResolveError } from '../../../rules/query/resolve.js';
import { newPacket } from '../../../rules/walk/leg.js';
import type { NatRecord } from '../../../rules/walk/leg.js';
import { Walker } from '../../../rules/walk/walker.js';
import { why } from '../../../rules/why/why.js';
import type { Hop, Step } from '../../../snapshot/contract.js';
import { SWARM, withServices } from '../derive-swarm.js';
import type { SwarmScenario } from '../derive-swarm.js';
import { capturedSwarm } from '../swarm-fixtures.js';

const world = (sc: SwarmScenario = {}): World => buildWorld(withServices(capturedSwarm('a-h1.json'), capturedSwarm('a-h2.json'), sc));
const ip = (text: string) => parseIp(text) as number;
const natSteps = (hops: Hop[]) => hops.flatMap((h) => h.steps).filter((s): s is Extract<Step, { type: 'nat' }> => s.type === 'nat');
const container = (w: World, host: string, name: string) => w.hosts.find((h) => h.name === host)!.containers.find((c) => c.name === name)!;

describe('service names through Docker\'s DNS, as moby records them', () => {
  it('a vip-mode service\'s name is its VIP on the network the asker shares with it', () => {
    const r = why(world(), 'h1/a1', 'web', { proto: 'tcp', port: 80 });
    expect(r.dns).toMatchObject({ resolves: true, via: 'embedded-dns', network: 'ov1', addresses: [SWARM.web.vip] });
    expect(r.addresses.map((x) => x.ip)).toEqual([SWARM.web.vip]);
    expect(r.to).toMatchObject({ name: 'web', askedBy: 'name' });
  });

  it('a dnsrr service\'s name is every task\'s address, each walked', () => {
    const r = why(world(), 'h1/a1', 'rr', { proto: 'tcp', port: 80 });
    expect(r.dns.addresses).toEqual(['10.60.1.2', '10.60.1.4']);
    expect(r.addresses.map((x) => x.ip)).toEqual(['10.60.1.2', '10.60.1.4']);
    // The task on the asker itself is reached over lo: a1 listens on *:80.
    expect(r.addresses[0]!.verdict).toBe('reachable');
  });

  it('tasks.<svc> is the tasks even in vip mode; a container on no network of the service gets no answer', () => {
    const w = world();
    expect(serviceName(container(w, 'h1', 'a1'), 'tasks.web')).toMatchObject({ mode: 'tasks', addresses: ['10.60.1.2', '10.60.1.4'] });
    // b1 is on ov2 only: web's records are ov1's.
    expect(serviceName(container(w, 'h1', 'b1'), 'web')).toBeNull();
    expect(() => why(w, 'h1/b1', 'web', { proto: 'tcp', port: 80 })).toThrow(ResolveError);
  });

  it('a vip service with no task has no name (moby removes the VIP record with its last backend)', () => {
    expect(() => why(world({ webTasks: 'none' }), 'h1/a1', 'web', { proto: 'tcp', port: 80 })).toThrow(ResolveError);
  });
});

describe('a VIP balanced by IPVS in the network\'s lb_ namespace', () => {
  it('why a1 web: through h1\'s lb_ to the task on each node, reachable only as both are, replies un-NATed back to the VIP', () => {
    const a = why(world({ balancerForwarding: true }), 'h1/a1', 'web', { proto: 'tcp', port: 80 }).addresses[0]!;
    expect(a.verdict).toBe('reachable');
    expect((a.request[0]!.steps[0] as { text: string }).text).toMatch(/10\.60\.1\.2:80 \(lb_\w+ on h1\): reachable; 10\.60\.1\.4:80 \(lb_\w+ on h1\): reachable/);
    expect(natSteps(a.reply).map((s) => `${s.kind} ${s.to}`)).toEqual(['un-SNAT 10.60.1.2:40000', 'un-DNAT 10.60.1.10:80']);
  });

  it('with ip_forward 0 in lb_ (as the lab\'s nested hosts have it), every task\'s reply is dropped there', () => {
    const a = why(world(), 'h1/a1', 'web', { proto: 'tcp', port: 80 }).addresses[0]!;
    expect(a.verdict).toBe('blocked');
    expect(a.decidedBy).toMatchObject({ kind: 'sysctl', direction: 'reply', code: 'ip-forward-off', at: { kind: 'balancer' } });
    expect(a.decidedBy?.reason).toMatch(/^2 of 2 task walks are blocked/);
  });

  it('no tasks: the name no longer resolves, and the VIP asked directly is rejected by IPVS (no-tasks)', () => {
    const a = why(world({ webTasks: 'none', balancerForwarding: true }), 'h1/a1', SWARM.web.vip, { proto: 'tcp', port: 80 }).addresses[0]!;
    expect(a.verdict).toBe('blocked');
    expect(a.decidedBy).toMatchObject({ kind: 'service', cause: 'no-tasks', service: 'web' });
  });

  /** a1's connection to web's VIP arriving in h1's lb_ for ov1 (from ov1's bridge), following task `pick`. */
  function atLb(pick: number, sc: SwarmScenario = {}) {
    const w = world(sc);
    const h1 = w.hosts.find((h) => h.name === 'h1')!;
    const ov1 = h1.snapshot.swarm!.networks.find((n) => n.name === 'ov1')!.id;
    const lb = balancersOf(h1).find((b) => b.networkId === ov1)!;
    const pkt = newPacket({ proto: 'tcp', port: 80 }, ip(SWARM.web.vip), ip('10.60.1.2'), 'request');
    const nat: NatRecord[] = [];
    const leg = new Walker(w, 'request', pkt, nat);
    leg.picks = [pick];
    return { r: leg.intoBalancer(lb, 'eth0', 0), leg, lb };
  }

  it('to each task, on either node: the VIP DNATed to the task, SNATed to lb_\'s own address on ov1', () => {
    for (const [pick, task] of [[0, '10.60.1.2'], [1, '10.60.1.4']] as const) {
      const { r, leg } = atLb(pick);
      expect(natSteps(r.hops).map((s) => `${s.kind} ${s.from} -> ${s.to}`)).toEqual([`IPVS ${SWARM.web.vip}:80 -> ${task}:80`, 'SNAT 10.60.1.2:40000 -> 10.60.1.3:40000']);
      expect(leg.balanced).toEqual([{ host: 'h1', namespace: expect.stringMatching(/^lb_/), virtual: `FWM ${SWARM.vipMark}`, service: 'web', destinations: ['10.60.1.2:80', '10.60.1.4:80'], chosen: pick }]);
      // Then across ov1's bridge (and VXLAN to h2 for a2) into the task, where httpd listens on 80.
      expect(r.outcome).toBe('delivered');
      expect(r.landing?.kind === 'container' ? r.landing.endpoint.ipText : null).toBe(task);
      expect(r.hops.some((h) => h.steps.some((s) => s.type === 'vxlan'))).toBe(pick === 1);
    }
  });

  it('the VIP\'s mark rule missing: delivered to lb_ itself, not balanced', () => {
    const { r } = atLb(0, { missingMark: 'vip' });
    expect(r.outcome).toBe('dropped');
    expect(r.decidedBy).toMatchObject({ kind: 'service', cause: 'not-balanced', service: 'web' });
  });

  it('a ping to the VIP is answered by lb_ itself: IPVS balances no ICMP', () => {
    const w = world();
    const h1 = w.hosts.find((h) => h.name === 'h1')!;
    const lb = balancersOf(h1).find((b) => b.role === 'load-balancer' && b.stack.localAddrs.has(ip(SWARM.web.vip)))!;
    const leg = new Walker(w, 'request', newPacket({ proto: 'icmp', port: null }, ip(SWARM.web.vip), ip('10.60.1.2'), 'request'), []);
    const r = leg.intoBalancer(lb, 'eth0', 0);
    expect(r.outcome).toBe('delivered');
    expect(r.landing).toMatchObject({ kind: 'balancer' });
    expect(leg.balanced).toEqual([]);
  });
});

describe('a host-mode published port: no mesh', () => {
  it('the node running the task answers through the bridge driver\'s DNAT on docker_gwbridge, reply included', () => {
    const r = why(world(), 'h2', '10.77.0.11', { proto: 'tcp', port: SWARM.hp.publishedPort });
    const a = r.addresses[0]!;
    expect(a.verdict).toBe('reachable');
    expect(natSteps(a.request).find((s) => s.kind === 'DNAT')?.to).toBe('172.17.0.3:80');
    expect(a.request.some((h) => h.at.kind === 'balancer')).toBe(false);
  });

  it('the other node has no such port: nothing takes it there', () => {
    const a = why(world(), 'h1', '10.77.0.12', { proto: 'tcp', port: SWARM.hp.publishedPort }).addresses[0]!;
    expect(a.verdict).toBe('blocked');
    expect(a.decidedBy).toMatchObject({ kind: 'socket' });
  });
});

describe('a task on the ingress network: moby\'s REDIRECT of the published port', () => {
  it('a connection to the task\'s ingress address on the published port is redirected to its target port, where it listens; the reply leaves from the published port again', () => {
    const w = world();
    const a1 = container(w, 'h1', 'a1');
    const ep = a1.endpoints.find((e) => e.ipText === '10.0.0.21')!;
    expect(ep.iface).toBe('eth2');
    const nat: NatRecord[] = [];
    const leg = new Walker(w, 'request', newPacket({ proto: 'tcp', port: SWARM.web.publishedPort }, ep.ip, ip('10.0.0.2'), 'request'), nat);
    const r = leg.intoContainer(ep);
    expect(natSteps(r.hops).map((s) => `${s.kind} ${s.from} -> ${s.to}`)).toEqual(['REDIRECT 10.0.0.21:8080 -> 10.0.0.21:80']);
    expect(r.outcome).toBe('delivered');
    const back = newPacket({ proto: 'tcp', port: SWARM.web.publishedPort }, ip('10.0.0.2'), ep.ip, 'reply');
    back.sport = 80;
    const reply = new Walker(w, 'reply', back, nat);
    const out = reply.fromContainer(a1);
    expect(natSteps(out.hops).map((s) => `${s.kind} ${s.from} -> ${s.to}`)[0]).toBe('un-DNAT 10.0.0.21:80 -> 10.0.0.21:8080');
  });

  it('the target port asked directly on the ingress address is not redirected (and a port that is neither is refused)', () => {
    const w = world();
    const a1 = container(w, 'h1', 'a1');
    const ep = a1.endpoints.find((e) => e.ipText === '10.0.0.21')!;
    const leg = new Walker(w, 'request', newPacket({ proto: 'tcp', port: 8081 }, ep.ip, ip('10.0.0.2'), 'request'), []);
    const r = leg.intoContainer(ep);
    expect(natSteps(r.hops)).toEqual([]);
    expect(r.decidedBy).toMatchObject({ kind: 'socket' });
  });
});
