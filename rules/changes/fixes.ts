// Candidate fixes for a blocked pair: each kind proposes its steps (fix-kinds/), each is predicted by applying those steps to
// copies of the snapshots and asking the model again, and ranked by whether it works, whether it is advisable, and how
// much more it opens.
import type { HostSnapshot } from '../../snapshot/host-snapshot.js';
import type { AddressVerdict, Fix, Flow, WhyAnswer } from '../../snapshot/contract.js';
import type { Family } from '../addr/addr.js';
import { buildWorld } from '../model/build.js';
import type { ContainerModel, World } from '../model/types.js';
import { qualifiedName, resolveContainer } from '../query/resolve.js';
import { familyWord, pairVerdict } from '../why/verdict.js';
import { why } from '../why/why.js';
import { stepCommand } from './command.js';
import { applySteps } from './predict.js';
import type { Candidate } from './fix-kinds/candidate.js';
import { dockerNftOpening } from './fix-kinds/docker-daemon.js';
import { alone, dockerUserAccept, together } from './fix-kinds/docker-user.js';
import type { Accept } from './fix-kinds/docker-user.js';
import { ipForward } from './fix-kinds/ip-forward.js';
import { networkConnects } from './fix-kinds/network-connect.js';
import { removeRules } from './fix-kinds/remove-rule.js';

export type { Fix };

/** Beyond this many containers, "also opens" is counted only over pairs involving A or B. */
const SIDE_EFFECT_LIMIT = 60;

const keyOf = (c: ContainerModel) => `${c.host.name}/${c.docker.id}`;

/** Pairs that become reachable after the change, besides A → B itself (only pairs involving A or B on large hosts). */
function opened(before: World, after: World, flow: Flow, a: ContainerModel, b: ContainerModel, beforeCache: Map<string, AddressVerdict>): string[] {
  const cs = before.hosts.flatMap((h) => h.containers);
  const involved = cs.length <= SIDE_EFFECT_LIMIT ? null : new Set([keyOf(a), keyOf(b)]);
  const afterByKey = new Map(after.hosts.flatMap((h) => h.containers.map((c) => [keyOf(c), c])));
  const out: string[] = [];
  for (const x of cs) {
    for (const y of cs) {
      if (x === y || (x === a && y === b)) continue;
      if (involved && !involved.has(keyOf(x)) && !involved.has(keyOf(y))) continue;
      const ax = afterByKey.get(keyOf(x));
      const ay = afterByKey.get(keyOf(y));
      if (!ax || !ay || pairVerdict(after, ax, ay, flow) !== 'reachable') continue;
      const k = `${keyOf(x)}\u0000${keyOf(y)}`;
      let was = beforeCache.get(k);
      if (was === undefined) beforeCache.set(k, (was = pairVerdict(before, x, y, flow)));
      if (was !== 'reachable') out.push(`${qualifiedName(x, before)} → ${qualifiedName(y, before)}`);
    }
  }
  return out;
}

/** Ranked fixes for `answer` (a blocked pair), each predicted by the model on the changed snapshots. */
export function fixesFor(world: World, answer: WhyAnswer, flow: Flow): Fix[] {
  // The network delivers it and nothing listens: no firewall or network change makes a service appear.
  if (answer.addresses.every((x) => x.verdict !== 'blocked' || x.decidedBy?.kind === 'socket')) return [];
  // From the host itself, what blocks is the host's own OUTPUT or a peer's rules: no container-scoped fix applies.
  if (answer.from.kind !== 'container') return [];
  const snapshots: HostSnapshot[] = world.hosts.map((h) => h.snapshot);
  const a = resolveContainer(world, answer.from.name);
  const b = answer.to.kind === 'container' ? resolveContainer(world, answer.to.name) : null;
  const accepts = ([4, 6] as const).map((f) => dockerUserAccept(a, b, answer, flow, f)).filter((c): c is Accept => c !== null);
  const candidates: Candidate[] = [
    ...(b && a.host === b.host ? networkConnects(a, b) : []),
    ...[together(accepts, a)].filter((c): c is Candidate => c !== null),
    ...accepts.map(alone),
    ...ipForward(world, answer),
    ...removeRules(world, answer),
    ...[dockerNftOpening(world, a, answer, flow)].filter((c): c is Candidate => c !== null),
  ];
  // The families the question covered: a fix is judged on each of them (one that opens IPv4 only says so).
  const families: Family[] = [...(answer.families.ipv4 !== null ? [4 as const] : []), ...(answer.families.ipv6 !== null ? [6 as const] : [])];
  const asked = families.length > 0 ? families : ([4, 6] as Family[]);
  const beforeCache = new Map<string, AddressVerdict>();
  // The name shown for a host or an address ("host h1 (172.17.0.1)") is not one resolve() reads back: ask by address.
  const toQuery = answer.to.kind === 'container' ? answer.to.name : (answer.addresses[0]?.ip ?? answer.to.name);
  const predicted: Fix[] = candidates.map((f) => {
    const after = buildWorld(applySteps(snapshots, f.steps));
    const fw = why(after, answer.from.name, toQuery, flow, asked);
    const reverse = b ? why(after, answer.to.name, answer.from.name, flow, asked).verdict : 'unknown';
    const alsoOpens = b ? opened(world, after, flow, a, b, beforeCache) : [];
    const left = (['ipv4', 'ipv6'] as const).filter((k) => fw.families[k] !== null && fw.families[k] !== 'reachable');
    const open = (['ipv4', 'ipv6'] as const).filter((k) => fw.families[k] === 'reachable');
    const partial = fw.verdict === 'reachable' && left.length > 0 ? ` It opens ${open.map(familyWord).join(' and ')} only: over ${left.map(familyWord).join(' and ')} ${answer.to.name} stays ${left.map((k) => fw.families[k]).join('/')}.` : '';
    return { ...f, note: f.note + partial, commands: f.steps.map(stepCommand), alsoOpens, predicted: { forward: fw.verdict, reverse, families: fw.families } };
  });
  // An accept that does not make it reachable is no fix (one in DOCKER-USER cannot undo another table's drop).
  const useful = predicted.filter((f) => f.kind !== 'docker-user' || f.predicted.forward === 'reachable');
  // A fix that leaves one family blocked ranks below one that opens every family asked about.
  const halfway = (f: Fix) => (['ipv4', 'ipv6'] as const).filter((k) => f.predicted.families[k] !== null && f.predicted.families[k] !== 'reachable').length;
  const rank = (f: Fix) => (f.predicted.forward === 'reachable' ? 0 : 100) + (f.discouraged ? 50 : 0) + halfway(f) * 45 + Math.min(f.alsoOpens.length, 40);
  return useful.sort((x, y) => rank(x) - rank(y));
}
