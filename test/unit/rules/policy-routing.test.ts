// Policy routing on captured `ip rule` outputs: the parser, and routeLookup against the kernel's own answers (`ip route get fibmatch`).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIpAddr, parseIpRoutes, parseIpRules } from '../../../collectors/iproute-json.js';
import { buildRouting, buildWorld } from '../../../rules/model/build.js';
import { ruleText } from '../../../rules/model/policy.js';
import { parseIp } from '../../../rules/addr/addr.js';
import type { Ip } from '../../../rules/addr/addr.js';
import { localLookup, packetQuery, routeLookup } from '../../../rules/model/route-lookup.js';
import type { RouteDecision, RouteQuery } from '../../../rules/model/route-lookup.js';
import { newPacket } from '../../../rules/walk/leg.js';
import type { Routing } from '../../../rules/model/types.js';
import type { PolicyRule } from '../../../snapshot/host-snapshot.js';
import { stepLine } from '../../../present/trace-text.js';
import { CAPTURED } from '../fixtures.js';
import { appendRules, seedHost } from '../derive.js';
import { why } from '../../../rules/why/why.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import type { Hop, Step } from '../../../snapshot/contract.js';

interface Capture {
  rules4: string;
  rules6: string;
  rulesText4: string;
  rulesText6: string;
  routes4: string;
  routes6: string;
  links: string;
  cases: { ask: string; stdout: string; stderr: string; exitCode: number }[];
}

const load = (name: string): Capture => JSON.parse(readFileSync(join(CAPTURED, 'policy', `${name}.json`), 'utf8'));
const rulesOf = (c: Capture): PolicyRule[] => [...parseIpRules(c.rules4, 'inet'), ...parseIpRules(c.rules6, 'inet6')];

function routingOf(c: Capture): Routing {
  const groups = new Map(parseIpAddr(c.links).map((i) => [i.name, i.group as string]));
  return buildRouting([...parseIpRoutes(c.routes4, 'inet'), ...parseIpRoutes(c.routes6, 'inet6')], rulesOf(c), groups);
}

const ip = (s: string): Ip => parseIp(s) as Ip;
const PROTO: Record<string, number> = { tcp: 6, udp: 17, icmp: 1 };

/** The flow `ip route get <ask>` asks about: what it leaves out is 0 (no source, no ports, locally generated). */
function queryOf(ask: string): RouteQuery {
  const [dst, ...rest] = ask.split(' ');
  const kv = new Map<string, string>();
  for (let i = 0; i < rest.length; i += 2) kv.set(rest[i] as string, rest[i + 1] as string);
  return {
    dst: ip(dst as string),
    src: kv.has('from') ? ip(kv.get('from') as string) : null,
    iif: kv.get('iif') ?? null,
    mark: Number(kv.get('mark') ?? 0),
    proto: PROTO[kv.get('ipproto') ?? ''] ?? 0,
    sport: Number(kv.get('sport') ?? 0),
    dport: Number(kv.get('dport') ?? 0),
    ephemeral: null,
  };
}

/** The kernel's answer as a route decision's outcome: the table and route it matched, or the error it gave. */
function kernelSays(c: Capture['cases'][number]): string {
  if (c.exitCode === 0) {
    const r = (JSON.parse(c.stdout) as { dst: string; gateway?: string; dev?: string; table?: string }[])[0]!;
    return `${r.table ?? 'main'} ${r.dst} via ${r.gateway ?? '-'} dev ${r.dev ?? '-'}`;
  }
  if (c.stderr.endsWith('Permission denied')) return 'prohibit';
  if (c.stderr.endsWith('Invalid argument')) return 'blackhole';
  if (c.stderr.endsWith('No route to host')) return 'unreachable';
  if (c.stderr.endsWith('Network is unreachable')) return 'unreachable or none';
  return `error ${c.stderr}`;
}

function weSay(d: RouteDecision): string {
  if (d.kind === 'unicast' && d.entry) {
    const r = d.entry.route;
    const dst = r.dst === '0.0.0.0/0' || r.dst === '::/0' ? 'default' : r.dst;
    return `${d.table} ${dst} via ${r.gateway ?? '-'} dev ${r.dev ?? '-'}`;
  }
  if (d.kind === 'none' || (d.kind === 'unreachable' && d.entry === null)) return 'unreachable or none';
  return d.kind;
}

describe('ip -j rule show: every selector and action, as captured', () => {
  const sel = load('selectors');
  const act = load('actions');
  const unk = load('unknown');
  const ports = load('ports');

  it('reads each selector of the selectors scenario into its field', () => {
    const r = new Map(parseIpRules(sel.rules4).map((x) => [x.priority, x]));
    expect(r.get(100)).toMatchObject({ src: '10.99.0.1', action: 'lookup', table: '100' });
    expect(r.get(101)).toMatchObject({ dst: '192.0.2.0/24', action: 'prohibit', table: null });
    expect(r.get(102)?.action).toBe('blackhole');
    expect(r.get(103)?.action).toBe('unreachable');
    expect(r.get(110)).toMatchObject({ iif: 'v1', iifDetached: false, table: '200' });
    expect(r.get(120)).toMatchObject({ oif: 'v1' });
    expect(r.get(130)?.fwmark).toBe('0x1/0xff');
    expect(r.get(140)?.tos).toBe('0x10');
    expect(r.get(150)).toMatchObject({ ipproto: 'tcp', dport: { start: 8080, end: 8080 }, sport: null });
    expect(r.get(155)).toMatchObject({ ipproto: 'udp', sport: { start: 1000, end: 2000 } });
    expect([...r.values()].every((x) => x.unevaluated.length === 0)).toBe(true);
    expect(parseIpRules(sel.rules6, 'inet6').find((x) => x.priority === 100)).toMatchObject({ family: 'inet6', src: 'fd99::1' });
  });

  it('reads goto, nop, an unresolved goto, suppress_* and not', () => {
    const r = new Map(parseIpRules(act.rules4).map((x) => [x.priority, x]));
    expect(r.get(50)).toMatchObject({ action: 'goto', goto: 90, dst: '10.70.0.0/16' });
    expect(r.get(70)?.action).toBe('nop');
    expect(r.get(95)).toMatchObject({ action: 'goto', goto: 999 });
    expect(r.get(100)).toMatchObject({ action: 'lookup', table: '100', suppressPrefixlen: 0, suppressIfgroup: null });
    expect(r.get(110)).toMatchObject({ table: '200', suppressIfgroup: '5', suppressPrefixlen: null });
    expect(r.get(120)).toMatchObject({ not: true, dst: '10.0.0.0/8', table: '300' });
  });

  it('keeps what it cannot evaluate as unevaluated selectors, and a rule\'s protocol as no selector at all', () => {
    const r = new Map(parseIpRules(unk.rules4).map((x) => [x.priority, x]));
    expect(r.get(90)?.unevaluated).toEqual([]);
    expect(r.get(100)).toMatchObject({ uidrange: { start: 1000, end: 2000 }, unevaluated: [] });
    expect(r.get(110)).toMatchObject({ action: 'lookup', unevaluated: ['l3mdev'] });
    expect(r.get(120)?.unevaluated).toEqual(['tun_id 5']);
  });

  it('writes each rule as `ip rule show` prints it', () => {
    for (const c of [sel, act, unk, ports]) {
      for (const [json, text, fam] of [[c.rules4, c.rulesText4, 'inet'], [c.rules6, c.rulesText6, 'inet6']] as const) {
        const printed = text.trim().split('\n').map((l) => l.replace(/\s+$/, ''));
        // Two things ip prints that are not the rule's own: whether its goto target exists now, and who made it.
        const ours = parseIpRules(json, fam).map((r) => `${r.priority}:\t${ruleText(r)}`);
        expect(ours).toEqual(printed.map((l) => l.replace(' [unresolved]', '').replace(' proto static', '')));
      }
    }
  });

  it('an older snapshot\'s rules (without the new fields) still parse, defaulting to no selector', () => {
    const seed = seedHost();
    const rule = seed.routes!.rules[0]!;
    expect(rule).toMatchObject({ tos: null, ipproto: null, sport: null, goto: null, unevaluated: [] });
  });
});

describe('routeLookup agrees with the kernel on every captured case (ip route get fibmatch)', () => {
  for (const name of ['selectors', 'actions', 'ports']) {
    const c = load(name);
    const routing = routingOf(c);
    for (const k of c.cases) {
      it(`${name}: ${k.ask} → ${kernelSays(k)}`, () => {
        expect(weSay(routeLookup(routing, queryOf(k.ask)))).toBe(kernelSays(k));
      });
    }
  }
  it('the unknown scenario: a forwarded packet (uid 0) the kernel sends to main stops at l3mdev, which netdiag does not evaluate', () => {
    const c = load('unknown');
    const k = c.cases.find((x) => x.ask.includes('iif'))!;
    expect(kernelSays(k)).toBe('main default via 10.99.0.254 dev v0');
    const d = routeLookup(routingOf(c), queryOf(k.ask));
    expect(d.kind).toBe('unknown');
    expect(d.unknown?.rule.priority).toBe(110);
  });
});

describe('the rule that chose, and what cannot be told', () => {
  const sel = routingOf(load('selectors'));
  const act = routingOf(load('actions'));

  it('names the rule whose lookup decided, with its text', () => {
    const d = routeLookup(sel, queryOf('10.1.2.3 from 10.99.0.1'));
    expect(d.rule).toMatchObject({ priority: 100, text: 'from 10.99.0.1 lookup 100' });
    expect(routeLookup(sel, queryOf('192.0.2.9')).rule).toMatchObject({ priority: 101, text: 'from all to 192.0.2.0/24 prohibit' });
    // Past the suppressed lookups and `not`, main's own rule decides: named too (this namespace has rules of its own).
    expect(routeLookup(act, queryOf('10.1.1.1')).rule).toMatchObject({ priority: 32766, text: 'from all lookup main' });
  });

  it('names no rule where the namespace has only the kernel\'s own (the seed host)', () => {
    const world = buildWorld([seedHost()]);
    const host = world.hosts[0]!;
    expect(host.routing!.rules[4].plain).toBe(true);
    const to = host.routing!.tables.get('main')!.find((e) => e.route.dev === 'docker0' && typeof e.net === 'number')!;
    const d = routeLookup(host.routing!, { ...queryOf('10.1.2.3'), dst: (to.net as number) + 2 });
    expect(d.kind).toBe('unicast');
    expect(d.rule).toBeNull();
  });

  it('a rule with a uid range is unknown for a local socket, and decided for a forwarded packet (uid 0)', () => {
    const unk = routingOf(load('unknown'));
    const local = routeLookup(unk, queryOf('10.1.2.3'));
    expect(local.kind).toBe('unknown');
    expect(local.unknown).toMatchObject({ rule: { priority: 100 } });
    expect(local.unknown?.why).toContain('uid');
    // Forwarded, uid 0 is outside 1000-2000: the rule does not select it, and the walk goes on to the next (l3mdev).
    const fwd = routeLookup(unk, queryOf('10.1.2.3 from 10.98.0.50 iif v1'));
    expect(fwd.unknown?.rule.priority).toBe(110);
  });

  it('suppress_ifgroup without the interface groups collected is missing data, naming the rule', () => {
    const c = load('actions');
    const noGroups = buildRouting([...parseIpRoutes(c.routes4, 'inet')], parseIpRules(c.rules4), null);
    const d = routeLookup(noGroups, queryOf('10.85.1.1'));
    expect(d).toMatchObject({ kind: 'unknown', unknown: { missing: 'links', rule: { priority: 110 } } });
  });

  it('an ephemeral port decides a port rule only when the rule holds all or none of the range it is picked from', () => {
    const ports = routingOf(load('ports'));
    const flow = { proto: 'tcp' as const, port: 80 };
    const request = newPacket(flow, ip('10.1.2.3'), ip('10.98.0.50'), 'request');
    // sport 30000-40000 holds part of 32768-60999: the request's ephemeral source port may or may not be in it.
    const req = routeLookup(ports, packetQuery(request, 'request', 'v1', request.src));
    expect(req).toMatchObject({ kind: 'unknown', unknown: { rule: { priority: 100 } } });
    // The reply: sport 80 is no ephemeral port; dport 1024-65000 holds all of the range: table 300.
    const reply = newPacket(flow, ip('10.1.2.3'), ip('10.99.0.1'), 'reply');
    reply.sport = 80;
    reply.dport = 40000;
    expect(routeLookup(ports, packetQuery(reply, 'reply', 'v1', reply.src))).toMatchObject({ kind: 'unicast', table: '300' });
  });

  it('a local ICMP echo request carries type << 8 | code as its flow dport; forwarded, it has no ports', () => {
    const ports = routingOf(load('ports'));
    const ping = newPacket({ proto: 'icmp', port: null }, ip('10.1.2.3'), ip('10.99.0.1'), 'request');
    expect(routeLookup(ports, packetQuery(ping, 'request', null, ping.src))).toMatchObject({ kind: 'unicast', table: '200' });
    expect(routeLookup(ports, packetQuery(ping, 'request', 'v1', ping.src))).toMatchObject({ kind: 'unicast', table: 'main' });
  });

  it('a local sender without a source: TCP connects with the source it picks (the from rule applies), ping is unknown (it depends on the program)', () => {
    const pick = (d: RouteDecision) => (d.entry?.route.dev === 'v0' ? ip('10.99.0.1') : null);
    const tcp = newPacket({ proto: 'tcp', port: 80 }, ip('10.1.2.3'), null, 'request');
    const t = localLookup(sel, tcp, 'request', pick);
    expect(t.d).toMatchObject({ kind: 'unicast', table: '100', rule: { priority: 100 } });
    expect(t.src).toBe(ip('10.99.0.1'));
    const ping = newPacket({ proto: 'icmp', port: null }, ip('10.1.2.3'), null, 'request');
    const p = localLookup(sel, ping, 'request', pick);
    expect(p.d).toMatchObject({ kind: 'unknown', unknown: { rule: { priority: 100 } } });
    expect(p.d.unknown?.why).toContain('busybox ping');
    // A reply has its source: the from rule selects it.
    const reply = newPacket({ proto: 'icmp', port: null }, ip('10.1.2.3'), ip('10.99.0.1'), 'reply');
    expect(localLookup(sel, reply, 'reply', pick).d).toMatchObject({ kind: 'unicast', table: '100' });
  });

  it('a mark selects its table; the rule\'s mask is applied', () => {
    expect(routeLookup(sel, { ...queryOf('10.1.2.3'), mark: 0x301 })).toMatchObject({ table: '300', rule: { priority: 130 } });
    expect(routeLookup(sel, { ...queryOf('10.1.2.3'), mark: 0x300 })).toMatchObject({ table: 'main' });
  });

  it('the route step reads with the rule that chose', () => {
    const d = routeLookup(sel, queryOf('10.1.2.3 from 10.99.0.1'));
    const line = stepLine({ type: 'route', action: 'forwarded', table: d.table, route: 'default via 10.99.0.100 dev v0', dst: '10.1.2.3', result: 'forward', outIface: 'v0', via: '10.99.0.100', rule: { priority: d.rule!.priority, text: d.rule!.text } });
    expect(line).toBe('route (rule 100: from 10.99.0.1 lookup 100): default via 10.99.0.100 dev v0 (table 100)');
    const p = routeLookup(sel, queryOf('192.0.2.9'));
    expect(stepLine({ type: 'route', action: 'rejected', table: null, route: null, dst: '192.0.2.9', result: 'prohibit', outIface: null, via: null, rule: { priority: p.rule!.priority, text: p.rule!.text } })).toBe('route (rule 101: from all to 192.0.2.0/24 prohibit): prohibit to 192.0.2.9');
  });
});

describe('the walk on the lab\'s policy hosts (p1 with rules, p2 without; captured by test/lab/policy.lab.test.ts)', () => {
  const snap = (n: string) => parseSnapshot(JSON.parse(readFileSync(join(CAPTURED, 'policy', `${n}.json`), 'utf8')));
  const ping = { proto: 'icmp' as const, port: null };
  const routeSteps = (hops: Hop[], host: string) => hops.filter((h) => h.at.kind === 'host' && h.at.host === host).flatMap((h) => h.steps).filter((s): s is Extract<Step, { type: 'route' }> => s.type === 'route');
  const world = () => buildWorld([snap('p1'), snap('p2')]);
  const ipOf = (w: ReturnType<typeof buildWorld>, host: string, name: string) => w.hosts.find((h) => h.name === host)!.containers.find((c) => c.name === name)!.endpoints[0]!.ipText;

  it('a request from the source the rule selects is blackholed in table 100, and the step says by which rule', () => {
    const w = world();
    const a = why(w, 'p1/a1', ipOf(w, 'p2', 'r1'), ping).addresses[0]!;
    expect(a.verdict).toBe('blocked');
    expect(a.decidedBy).toMatchObject({ kind: 'route', host: 'p1', result: 'blackhole' });
    expect(routeSteps(a.request, 'p1').at(-1)).toMatchObject({ table: '100', result: 'blackhole', rule: { priority: 100, text: 'from 172.30.1.128/25 lookup 100' } });
    // b1 is outside the rule's source: main decides, and its own rule is named (p1 has rules of its own).
    const b = why(w, 'p1/b1', ipOf(w, 'p2', 'r1'), ping).addresses[0]!;
    expect(b.verdict).toBe('reachable');
    expect(routeSteps(b.request, 'p1').at(-1)).toMatchObject({ table: 'main', rule: { priority: 32766 } });
    // p2 has only the kernel's rules: its steps name none.
    expect(routeSteps(b.request, 'p2').every((s) => s.rule === undefined)).toBe(true);
  });

  it('a reply is selected by its source: r1 reaches a1, and a1\'s answer is blackholed by the same rule', () => {
    const w = world();
    const a = why(w, 'p2/r1', ipOf(w, 'p1', 'a1'), ping).addresses[0]!;
    expect(a.verdict).toBe('blocked');
    expect(a.decidedBy).toMatchObject({ kind: 'route', direction: 'reply', result: 'blackhole' });
    expect(routeSteps(a.reply, 'p1').at(-1)?.rule?.priority).toBe(100);
  });

  it('a mark set in mangle PREROUTING selects table 200 (c1 on docker0)', () => {
    const w = world();
    const c = why(w, 'p1/c1', ipOf(w, 'p2', 'r1'), ping).addresses[0]!;
    expect(c.verdict).toBe('blocked');
    expect(routeSteps(c.request, 'p1').at(-1)).toMatchObject({ table: '200', result: 'blackhole', rule: { priority: 120, text: 'from all fwmark 0x1 lookup 200' } });
  });

  it('a mark set in mangle OUTPUT routes the host\'s own packet again, into table 200', () => {
    const r1 = ipOf(world(), 'p2', 'r1');
    expect(why(world(), 'p1/hc', r1, ping).addresses[0]!.verdict).toBe('reachable');
    const marked = appendRules(snap('p1'), 'mangle', 'OUTPUT', [`-A OUTPUT -d ${r1}/32 -j MARK --set-xmark 0x1/0xffffffff`]);
    const a = why(buildWorld([marked, snap('p2')]), 'p1/hc', r1, ping).addresses[0]!;
    expect(a.verdict).toBe('blocked');
    expect(routeSteps(a.request, 'p1').at(-1)).toMatchObject({ table: '200', result: 'blackhole', rule: { priority: 120 } });
  });

  it('a rule action names its rule: nothing on p1 reaches r2 (to 172.20.0.2 prohibit)', () => {
    const w = world();
    const a = why(w, 'p1/b1', ipOf(w, 'p2', 'r2'), ping).addresses[0]!;
    expect(a.decidedBy).toMatchObject({ kind: 'route', result: 'prohibit' });
    expect(a.decidedBy?.reason).toContain('rule 110: from all to 172.20.0.2 prohibit');
  });
});
