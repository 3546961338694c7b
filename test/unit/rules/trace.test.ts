// The typed trace: every answer is what the contract's schemas say (nothing outside them), every step carries its
// action and every hop its place, decisions carry their kind's fields, and the map page words a trace as the terminal does.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stepLine } from '../../../present/trace-text.js';
import { STEP_LINE } from '../../../present/map/page.js';
import { ipText, isLinkLocal6, isLoopback } from '../../../rules/addr/addr.js';
import { buildWorld } from '../../../rules/model/build.js';
import { parseFlow } from '../../../rules/query/flow.js';
import { qualifiedName } from '../../../rules/query/resolve.js';
import { why } from '../../../rules/why/why.js';
import type { World } from '../../../rules/model/types.js';
import { WhyAnswer } from '../../../snapshot/contract.js';
import type { Step, WhyAnswer as Answer } from '../../../snapshot/contract.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import { CAPTURED } from '../fixtures.js';

const load = (dir: string, name: string) => parseSnapshot(JSON.parse(readFileSync(join(CAPTURED, dir, `${name}.json`), 'utf8')));

const WORLDS: [string, World][] = [
  ['reach h1', buildWorld([load('reach', 'h1')])],
  ['reach h2', buildWorld([load('reach', 'h2')])],
  ['bridged b1 + b2', buildWorld([load('reach', 'b1'), load('reach', 'b2')])],
  ['bridged b1 alone', buildWorld([load('reach', 'b1')])],
  ['moby topology', buildWorld([load('moby-topology', 'docker'), load('moby-topology', 'peer')])],
  ['ipv6 tables', buildWorld([load('ipv6', 'v6tables')])],
];
const FLOWS = [parseFlow(undefined), parseFlow('80/tcp'), parseFlow('8080/tcp'), parseFlow('53/udp')];

/** Every ordered pair of containers of a world, and each container to every host (published ports, docker-proxy), for every flow. */
function answers(world: World): Answer[] {
  const names = world.hosts.flatMap((h) => h.containers.map((c) => qualifiedName(c, world)));
  // A host by the address of its first interface that is neither lo nor a bridge (where published ports are reached);
  // not a veth's IPv6 link-local address, which no container asks at (and one without IPv6 cannot: no address of that family).
  const hosts = world.hosts.flatMap((h) => [...h.localAddrs].filter(([ip, i]) => !isLoopback(ip) && !isLinkLocal6(ip) && i !== 'lo' && h.interfaces.get(i)?.kind !== 'bridge').slice(0, 1).map(([ip]) => ipText(ip)));
  const out: Answer[] = [];
  for (const flow of FLOWS) for (const a of names) for (const b of [...names, ...hosts]) if (a !== b) out.push(why(world, a, b, flow));
  return out;
}

const stepsOf = (a: Answer) => a.addresses.flatMap((x) => [...x.request, ...x.reply].flatMap((h) => h.steps));
/** The page's browser-side stepLine, as the page ships it. */
const pageStepLine = new Function(`${STEP_LINE}; return stepLine;`)() as (s: Step) => string;

describe.each(WORLDS)('%s', (_name, world) => {
  const all = answers(world);

  it('has answers to check', () => {
    expect(all.flatMap(stepsOf).length).toBeGreaterThan(20);
  });

  it('every answer is exactly what the contract says: parsing it keeps every field and adds none', () => {
    for (const a of all) expect(WhyAnswer.parse(a)).toEqual(a);
  });

  it('every hop names its place by type, host and name; every step has its action', () => {
    for (const a of all) {
      for (const x of a.addresses) {
        for (const h of [...x.request, ...x.reply]) {
          expect(['container', 'host', 'bridge', 'segment']).toContain(h.at.kind);
          expect(world.hosts.map((w) => w.name)).toContain(h.at.host);
          for (const s of h.steps) expect(s.action, JSON.stringify(s)).toBeTruthy();
        }
      }
    }
  });

  it('the map page words every step as the terminal does', () => {
    for (const s of all.flatMap(stepsOf)) expect(pageStepLine(s)).toBe(stepLine(s));
  });
});

describe('actions and typed references', () => {
  it('a chain step acts as its verdict, a route as what the kernel does with it', () => {
    const steps = WORLDS.flatMap(([, w]) => answers(w)).flatMap(stepsOf);
    for (const s of steps) {
      if (s.type === 'chain') expect(s.action).toBe({ ACCEPT: 'accepted', DROP: 'dropped', REJECT: 'rejected', unknown: 'unknown' }[s.verdict]);
      if (s.type === 'route' && s.result === 'forward') expect(s.action).toBe('forwarded');
      if (s.type === 'route' && s.result === 'local') expect(s.action).toBe('received');
      if (s.type === 'deliver') expect(s.action).toBe('delivered');
      if (s.type === 'nat') expect(s.action).toBe('transformed');
    }
    expect(new Set(steps.map((s) => s.type))).toEqual(new Set(['route', 'bridge', 'chain', 'nat', 'deliver', 'socket', 'proxy', 'leave', 'note']));
    expect(new Set(steps.map((s) => s.action)).size).toBeGreaterThan(5);
  });

  it('the bridged recipe: the frame crosses the segment to b2, and b2 sees it bridged on docker0', () => {
    const world = WORLDS[2]![1];
    const request = why(world, 'b1/r1', 'b2/s1', parseFlow(undefined)).addresses[0]!.request;
    const places = request.map((h) => h.at);
    expect(places[0]).toEqual({ kind: 'container', host: 'b1', name: 'r1' });
    expect(places).toContainEqual({ kind: 'segment', host: 'b2', name: 'docker0' });
    expect(places).toContainEqual({ kind: 'bridge', host: 'b2', name: 'docker0' });
    const crossing = request.flatMap((h) => h.steps).find((s) => s.type === 'bridge' && s.reaches?.kind === 'segment');
    expect(crossing).toMatchObject({ action: 'forwarded', toPort: 'eth1', reaches: { host: 'b2', name: 'docker0' } });
  });

  it('a host alone on the segment: an exit decision names the ports it leaves by and the next hop', () => {
    const world = WORLDS[3]![1];
    const b2 = load('reach', 'b2');
    const ip = b2.docker!.containers[0]!.endpoints[0]!.ip!;
    const d = why(world, 'r1', ip, parseFlow(undefined)).addresses[0]!.decidedBy;
    expect(d).toMatchObject({ kind: 'exit', host: 'b1', ifaces: ['eth1'], nextHop: ip, at: { kind: 'container', host: 'b1', name: 'r1' } });
  });

  it('a refused port says where it is bound, as a fact and not only in the sentence', () => {
    const world = WORLDS[0]![1];
    const tcp80 = parseFlow('80/tcp');
    expect(why(world, 'client', 'loop', tcp80).addresses[0]!.decidedBy).toMatchObject({ kind: 'socket', port: 80, bound: 'loopback-only' });
    expect(why(world, 'client', 'alt', tcp80).addresses[0]!.decidedBy).toMatchObject({ kind: 'socket', port: 80, bound: 'nowhere' });
  });

  it('a rule decision names the interfaces at its chain (isolation between two Docker bridges)', () => {
    const d = why(WORLDS[4]![1], 'docker/c0', 'docker/c1', parseFlow(undefined)).addresses[0]!.decidedBy;
    expect(d).toMatchObject({ kind: 'rule', host: 'docker', table: 'filter', chain: 'DOCKER-ISOLATION-STAGE-2', index: 1, in: 'docker0', out: 'bridge1', at: { kind: 'host', host: 'docker', name: 'docker' } });
  });

  it('every kind of decision the fixtures reach carries its own fields', () => {
    const ds = WORLDS.flatMap(([, w]) => answers(w)).flatMap((a) => a.addresses.map((x) => x.decidedBy)).filter((d) => d !== null);
    const rule = ds.find((d) => d.kind === 'rule');
    expect(rule).toMatchObject({ table: expect.any(String), chain: expect.any(String), index: expect.any(Number), text: expect.any(String), packets: expect.any(Number), bytes: expect.any(Number) });
    expect(ds.filter((d) => d.kind === 'rule' || d.kind === 'policy').every((d) => 'in' in d && 'out' in d)).toBe(true);
    const socket = ds.find((d) => d.kind === 'socket');
    expect(socket).toMatchObject({ proto: 'tcp', port: 80, address: expect.any(String), bound: expect.stringMatching(/^(loopback-only|other-address|nowhere)$/) });
  });
});
