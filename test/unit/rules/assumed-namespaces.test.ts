// The namespace "also opens" takes a bystander not entered to have (rules/changes/assumed-namespaces.ts), checked
// against every captured namespace of a container on one bridge network with one IPv4 address: what Docker made is
// what is assumed, route for route; and the fixes counted with it are those counted with the namespace read.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assumeNotEntered } from '../../../rules/changes/assumed-namespaces.js';
import { fixesFor } from '../../../rules/changes/fixes.js';
import { buildWorld } from '../../../rules/model/build.js';
import { parseFlow } from '../../../rules/query/flow.js';
import { why } from '../../../rules/why/why.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import type { HostSnapshot } from '../../../snapshot/host-snapshot.js';
import { CAPTURED, REPO } from '../fixtures.js';
import { renderFixes } from '../../../cli/render/fixes.js';
import { styleFor } from '../../../cli/render/style.js';

const load = (p: string) => parseSnapshot(JSON.parse(readFileSync(p, 'utf8')));
const captured: [string, HostSnapshot][] = [
  ['seed', load(join(REPO, 'examples/seed-host.json'))],
  ...['h1', 'h2', 'b1', 'b2'].map((n): [string, HostSnapshot] => [n, load(join(CAPTURED, `reach/${n}.json`))]),
];

/** The snapshot as a question's collection leaves it: these containers inspected, their namespaces not entered. */
function notEntering(s: HostSnapshot, names: string[]): HostSnapshot {
  const ids = new Set(s.docker!.containers.filter((c) => names.includes(c.name)).map((c) => c.id));
  return {
    ...s,
    scope: s.docker!.containers.map((c) => c.name),
    notEntered: names,
    links: { ...s.links!, sandboxes: s.links!.sandboxes.filter((x) => !ids.has(x.containerId)) },
    routes: { ...s.routes!, sandboxes: s.routes!.sandboxes.filter((x) => !ids.has(x.containerId)) },
  };
}

const sortRoutes = <T extends { table: string; dst: string; type: string }>(rs: T[]) => [...rs].sort((a, b) => `${a.table} ${a.dst} ${a.type}`.localeCompare(`${b.table} ${b.dst} ${b.type}`));

describe('a bystander not entered, taken as Docker makes its namespace', () => {
  it('is, for every captured container on one bridge network with one IPv4 address, the namespace read there', () => {
    let compared = 0;
    for (const [host, s] of captured) {
      for (const c of s.docker!.containers) {
        const read = s.routes!.sandboxes.find((x) => x.containerId === c.id);
        const links = s.links!.sandboxes.find((x) => x.containerId === c.id);
        const made = assumeNotEntered([notEntering(s, [c.name])]);
        if (!read || !links || made.assumed.size === 0) continue;
        compared++;
        const assumed = made.snapshots[0]!;
        const routes = assumed.routes!.sandboxes.find((x) => x.containerId === c.id)!;
        expect(sortRoutes(routes.routes), `${host}/${c.name}`).toEqual(sortRoutes(read.routes));
        expect(routes.rules, `${host}/${c.name}`).toEqual(read.rules);
        const [eth] = assumed.links!.sandboxes.find((x) => x.containerId === c.id)!.interfaces;
        const [real] = links.interfaces;
        // What is not known without entering: the interface's index and its host end's (the bridge is Docker's).
        expect({ ...eth, ifindex: null, hostVeth: null }, `${host}/${c.name}`).toEqual({ ...real, ifindex: null, hostVeth: null, lower: null });
      }
    }
    expect(compared).toBeGreaterThan(10);
  });

  it('leaves a container it cannot describe unassumed and says so (no network, another\'s namespace, the host\'s)', () => {
    // h1: none1 (--network none), side (--network container:web), hostc (--network host).
    const s = captured.find(([n]) => n === 'h1')![1];
    const names = ['none1', 'side', 'hostc'];
    const made = assumeNotEntered([notEntering(s, names)]);
    expect(made.assumed.size).toBe(0);
    expect(made.undescribed.sort()).toEqual(names.sort());
    // And one it can: its namespace joins the snapshot's, named as assumed.
    const web = assumeNotEntered([notEntering(s, ['web'])]);
    expect([...web.assumed.values()]).toEqual(['web']);
    expect(web.undescribed).toEqual([]);
  });

  it('gives every blocked pair of the captured hosts the same fixes as the namespaces read, what they open included, naming the pairs it walked through them', () => {
    const flow = parseFlow(undefined);
    let pairs = 0;
    let named = 0;
    for (const [host, s] of captured) {
      const world = buildWorld([s]);
      const cs = world.hosts[0]!.containers;
      for (const a of cs) {
        for (const b of cs) {
          if (a === b || a.netns !== 'sandbox' || b.netns !== 'sandbox') continue;
          const answer = why(world, a.name, b.name, flow);
          if (answer.verdict !== 'blocked') continue;
          const fixes = fixesFor(world, answer, flow);
          // Every container Docker's data describes not entered, as collectors/scope.ts leaves them: besides A and B,
          // the namespaces they live in, the holders of their addresses, and any namespace lent to another container.
          const lenders = new Set(cs.filter((c) => c.netnsOwnerId !== c.docker.id).map((c) => c.netnsOwnerId));
          const theirs = new Set([a, b].flatMap((x) => x.endpoints.map((e) => e.ipText)));
          const asked = (c: typeof a) => c === a || c === b || c.docker.id === a.netnsOwnerId || c.docker.id === b.netnsOwnerId || lenders.has(c.docker.id) || c.endpoints.some((e) => theirs.has(e.ipText));
          const others = cs.filter((c) => !asked(c) && assumeNotEntered([notEntering(s, [c.name])]).assumed.size > 0).map((c) => c.name);
          const part = buildWorld([notEntering(s, others)]);
          const partAnswer = why(part, a.name, b.name, flow);
          expect(partAnswer.verdict, `${host} ${a.name} → ${b.name}`).toBe(answer.verdict);
          const partFixes = fixesFor(part, partAnswer, flow);
          expect(partFixes.map((f) => ({ ...f, alsoOpensNotRead: [] })), `${host} ${a.name} → ${b.name}`).toEqual(fixes);
          for (const f of partFixes) {
            expect(f.alsoOpensNotRead.map((e) => e.pair)).toEqual(f.alsoOpens.filter((p) => p.split(' → ').some((n) => others.includes(n))));
            named += f.alsoOpensNotRead.length;
          }
          pairs++;
        }
      }
    }
    expect(pairs).toBeGreaterThan(5);
    expect(named).toBeGreaterThan(0);
  });

  it('is said in one line under the fix at a terminal, naming whose namespaces were taken', () => {
    // h1: c0 (default bridge) → client (net-svc); alt and loop on net-svc not entered.
    const s = captured.find(([n]) => n === 'h1')![1];
    const part = buildWorld([notEntering(s, ['alt', 'loop'])]);
    const flow = parseFlow(undefined);
    const fixes = fixesFor(part, why(part, 'c0', 'client', flow), flow);
    const connect = fixes.find((f) => f.kind === 'network-connect')!;
    expect(connect.alsoOpensNotRead.map((e) => e.pair)).toEqual(connect.alsoOpens.filter((p) => /\b(alt|loop)\b/.test(p)));
    expect(connect.alsoOpensNotRead.length).toBeGreaterThan(0);
    const lines = renderFixes(fixes, styleFor({ isTTY: false, env: {} } as never), 'c0', 'client').filter((l) => l.includes('namespaces not read'));
    expect(lines).toHaveLength(fixes.filter((f) => f.alsoOpensNotRead.length > 0).length);
    expect(lines[0]).toMatch(/^\s+\d+ of these through namespaces not read, taken as Docker makes them: (alt, loop|loop, alt) \(netdiag why --json --all-namespaces reads them\)$/);
  });
});
