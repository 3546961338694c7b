// Candidate fixes for a blocked pair: each kind proposes its steps (fix-kinds/), each is predicted by applying those steps to
// copies of the snapshots and asking the model again, and ranked by whether it works, whether it is advisable, and how
// much more it opens.
import type { HostSnapshot } from '../../snapshot/host-snapshot.js';
import type { DecisionOf, Fix, Flow, PlanStep, WhyAnswer } from '../../snapshot/contract.js';
import { collisionFixFor, renumberingFor } from '../doctor/overlap.js';
import type { Family } from '../addr/addr.js';
import { buildWorld } from '../model/build.js';
import type { ContainerModel, World } from '../model/types.js';
import { qualifiedName, resolveContainer } from '../query/resolve.js';
import { BOTH, familyWord } from '../why/verdict.js';
import { ClassPairs } from '../matrix/matrix.js';
import { askedByName } from '../why/asked.js';
import { why } from '../why/why.js';
import { stepCommand } from '../steps/command.js';
import { rollbackCommands } from '../steps/inverse.js';
import { applySteps } from './predict.js';
import { assumeNotEntered } from './assumed-namespaces.js';
import type { Assumed } from './assumed-namespaces.js';
import type { Candidate } from './fix-kinds/candidate.js';
import { fixId, leastLasting } from './fix-kinds/candidate.js';
import { dockerNftOpening } from './fix-kinds/docker-daemon.js';
import { alone, dockerUserAccept, together } from './fix-kinds/docker-user.js';
import type { Accept } from './fix-kinds/docker-user.js';
import { ipForward } from './fix-kinds/ip-forward.js';
import { connectable, networkConnects } from './fix-kinds/network-connect.js';
import { removeRules } from './fix-kinds/remove-rule.js';
import { macvlanShims, noShimReason } from './fix-kinds/macvlan-shim.js';
import { swarmPortsForTunnel } from './fix-kinds/swarm-ports.js';

export type { Fix };

/** Beyond this many containers, "also opens" is counted only over pairs involving A or B. */
const SIDE_EFFECT_LIMIT = 60;

const keyOf = (c: ContainerModel) => `${c.host.name}/${c.docker.id}`;

/**
 * Pairs that become reachable after the change, besides A → B itself (only pairs involving A or B on large hosts).
 * Walked one pair of classes at a time, as the matrix is (rules/matrix/classes.ts: containers every rule and route
 * treats alike share one walk), before and after: on a host of 200 containers on the pair's networks, the 800 pairs
 * with A or B are a dozen walks.
 */
function opened(before: ClassPairs, after: World, flow: Flow, a: ContainerModel | null, b: ContainerModel | null, assumed: ReadonlyMap<string, string>): { pairs: string[]; notRead: Fix['alsoOpensNotRead'] } {
  const cs = before.cs;
  const afterPairs = new ClassPairs(after, flow, BOTH);
  const afterAt = new Map(afterPairs.cs.map((c, i) => [keyOf(c), i]));
  const at = cs.map((c) => afterAt.get(keyOf(c)));
  // Sources in order, each with the destinations its pairs are counted for: every container, or on large hosts only
  // the pairs with A or B (a pass over those, not a test of every pair of 500).
  const all = cs.map((_, i) => i);
  const ends = cs.length <= SIDE_EFFECT_LIMIT ? null : all.filter((i) => cs[i] === a || cs[i] === b);
  const pairs: string[] = [];
  const notRead: Fix['alsoOpensNotRead'] = [];
  for (const i of all) {
    const x = cs[i] as ContainerModel;
    for (const j of ends === null || ends.includes(i) ? all : ends) {
      const y = cs[j] as ContainerModel;
      if (i === j || (x === a && y === b)) continue;
      const ax = at[i];
      const ay = at[j];
      if (ax === undefined || ay === undefined || afterPairs.combined[afterPairs.key(ax, ay)] !== 'reachable') continue;
      if (before.combined[before.key(i, j)] === 'reachable') continue;
      const pair = `${qualifiedName(x, before.world)} → ${qualifiedName(y, before.world)}`;
      pairs.push(pair);
      const unread = [x, y].flatMap((c) => assumed.get(keyOf(c)) ?? []);
      if (unread.length > 0) notRead.push({ pair, notRead: unread });
    }
  }
  return { pairs, notRead };
}

/** Every blocked address decided by a socket: the network delivers it, and the service is what is missing. */
const onlySocketBlocks = (a: WhyAnswer) => a.verdict === 'blocked' && a.addresses.every((x) => x.verdict !== 'blocked' || x.decidedBy?.kind === 'socket');

/** Each candidate's steps applied to copies of the snapshots, and the question asked again as the user asked it. */
interface Prediction {
  candidate: Candidate;
  fix: Fix;
  /** The answer after the change, and the hosts it was asked of. */
  after: WhyAnswer;
  afterWorld: World;
  /**
   * What else it opens, for a prediction that does not work (left empty until asked): counting is the costly part
   * (every pair, twice), and only fixes that work are offered with it.
   */
  sideEffects: (() => Pick<Fix, 'alsoOpens' | 'alsoOpensNotRead'>) | null;
}

/** The fix's undo commands; a sysctl goes back to the value this host's snapshot holds. */
function rollbackOf(world: World, steps: readonly PlanStep[]): string[] {
  return rollbackCommands(steps, (s) => world.hosts.find((h) => h.name === s.host)?.snapshot.sysctls?.values[s.key] ?? null);
}

function predict(world: World, answer: WhyAnswer, flow: Flow, candidates: Candidate[], sideEffects: boolean): Prediction[] {
  const snapshots: HostSnapshot[] = world.hosts.map((h) => h.snapshot);
  const a = answer.from.kind === 'container' ? resolveContainer(world, answer.from.name) : null;
  const b = answer.to.kind === 'container' ? resolveContainer(world, answer.to.name) : null;
  // The families the question covered: a fix is judged on each of them (one that opens IPv4 only says so).
  const asked: Family[] = answer.askedFamilies.map((f) => (f === 'ipv4' ? 4 : 6));
  // The pairs before the change, walked by class once for every candidate (and only when one is counted). Counted
  // with the namespaces a question's collection did not enter taken as Docker makes them (each pair through one says
  // so): unread, a pair with a bystander would be unknown, and a pair it opens would go unsaid.
  let counting: { before: ClassPairs; assumed: Assumed; a: ContainerModel | null; b: ContainerModel | null } | null = null;
  const counter = () => {
    if (counting) return counting;
    const assumed = assumeNotEntered(snapshots);
    const before = new ClassPairs(assumed.assumed.size > 0 ? buildWorld(assumed.snapshots) : world, flow, BOTH);
    // A and B as the world walked before holds them (the assumed world has models of its own), found once.
    const inBefore = (c: ContainerModel | null) => (c && before.cs.find((x) => keyOf(x) === keyOf(c))) ?? null;
    return (counting = { before, assumed, a: inBefore(a), b: inBefore(b) });
  };
  const named = askedByName(answer);
  // Asked again in the words it was asked in: by the name typed (so the changed world's answer carries whether that
  // name resolves), qualified by its host where several are in view. The name shown for a host or an address
  // ("host h1 (172.17.0.1)") is not one resolve() reads back: those are asked by address.
  const toQuery = named ? (world.hosts.length > 1 ? `${answer.to.host}/${answer.dns.name}` : answer.dns.name) : answer.to.kind === 'container' ? answer.to.name : (answer.addresses[0]?.ip ?? answer.to.name);
  // A host is asked again by its name (the name shown for it, "host h1", is not one resolve() reads back).
  const fromQuery = answer.from.kind === 'host' ? answer.from.host : answer.from.name;
  return candidates.map((f) => {
    const stepped = applySteps(snapshots, f.steps);
    const afterWorld = buildWorld(stepped);
    const fw = why(afterWorld, fromQuery, toQuery, flow, asked);
    const reverse = b ? why(afterWorld, answer.to.name, fromQuery, flow, asked).verdict : 'unknown';
    // A host's shim opens container pairs even when one side of the question is the host itself (its bridge containers
    // reach the macvlan ones through it): counted then too.
    const counted = sideEffects && ((a && b) || (f.kind === 'macvlan-shim' && (a || b)));
    const count = () => {
      const { before, assumed, a: aBefore, b: bBefore } = counter();
      // The changed snapshots with the same namespaces assumed (the steps touch only A's and B's, which were read):
      // not a second copy of the host for the change.
      const after = assumed.assumed.size > 0 ? buildWorld(assumeNotEntered(stepped).snapshots) : afterWorld;
      const o = opened(before, after, flow, aBefore, bBefore, assumed.assumed);
      return { alsoOpens: o.pairs, alsoOpensNotRead: o.notRead };
    };
    const { alsoOpens, alsoOpensNotRead } = counted && fw.verdict === 'reachable' ? count() : { alsoOpens: [], alsoOpensNotRead: [] };
    const left = (['ipv4', 'ipv6'] as const).filter((k) => fw.families[k] !== null && fw.families[k] !== 'reachable');
    const open = (['ipv4', 'ipv6'] as const).filter((k) => fw.families[k] === 'reachable');
    const partial = fw.verdict === 'reachable' && left.length > 0 ? ` It opens ${open.map(familyWord).join(' and ')} only: over ${left.map(familyWord).join(' and ')} ${answer.to.name} stays ${left.map((k) => fw.families[k]).join('/')}.` : '';
    // Whether the name typed resolves in the changed world (a connect to a user-defined network makes it resolve).
    const byName = named ? (fw.dns.resolves ? 'resolves' : 'fails') : null;
    const unnamed = byName === 'fails' ? ` The name ${answer.dns.name} still does not resolve from ${a?.name ?? answer.from.name}: this opens the address only (use ${fw.addresses.find((x) => x.verdict === 'reachable')?.ip ?? 'the address'}).` : '';
    const fix: Fix = { ...f, note: f.note + partial + unnamed, commands: f.steps.map(stepCommand), rollback: rollbackOf(world, f.steps), alsoOpens, alsoOpensNotRead, byName, predicted: { forward: fw.verdict, reverse, families: fw.families } };
    return { candidate: f, fix, after: fw, afterWorld, sideEffects: counted && fw.verdict !== 'reachable' ? count : null };
  });
}

/**
 * Best first: what makes the question work as asked (by name too) above what opens the address only; all families
 * asked above one; not discouraged above discouraged; and what opens least besides.
 */
function rank(f: Fix): number {
  const halfway = (['ipv4', 'ipv6'] as const).filter((k) => f.predicted.families[k] !== null && f.predicted.families[k] !== 'reachable').length;
  return (f.byName === 'fails' ? 200 : 0) + (f.discouraged ? 50 : 0) + halfway * 45 + Math.min(f.alsoOpens.length, 40);
}

const works = (f: Fix) => f.predicted.forward === 'reachable';

/** The first blocked address's deciding step, as a key: a change that moves it has made progress. */
const firstDrop = (a: WhyAnswer) => JSON.stringify(a.addresses.find((x) => x.verdict === 'blocked')?.decidedBy ?? null);

/** Every kind's proposal for a blocked A → B (container A), before prediction. */
function candidatesFor(world: World, answer: WhyAnswer, flow: Flow): Candidate[] {
  // Dropped on the outer VXLAN packet between two nodes: only the data-path port between them opens it; a rule for the
  // inner pair (DOCKER-USER, a network connect) is never met by that packet.
  if (answer.addresses.some((x) => x.verdict === 'blocked' && x.decidedBy?.tunnel)) return swarmPortsForTunnel(world, answer);
  const a = resolveContainer(world, answer.from.name);
  const b = answer.to.kind === 'container' ? resolveContainer(world, answer.to.name) : null;
  const accepts = ([4, 6] as const).map((f) => dockerUserAccept(a, b, answer, flow, f)).filter((c): c is Accept => c !== null);
  return [
    ...(b ? networkConnects(a, b) : []),
    ...[together(accepts, a)].filter((c): c is Candidate => c !== null),
    ...accepts.map(alone),
    ...ipForward(world, answer),
    ...removeRules(world, answer),
    ...[dockerNftOpening(world, a, answer, flow)].filter((c): c is Candidate => c !== null),
    ...macvlanShims(world, answer),
  ];
}

/** Two changes as one fix: the first's steps, then the second's (proposed on the hosts as the first left them). */
function then(first: Candidate, second: Candidate): Candidate {
  return {
    id: fixId(['then', first.id, second.id]),
    kind: first.kind,
    title: `${first.title}, then ${second.title}`,
    steps: [...first.steps, ...second.steps],
    scope: `${first.scope}; ${second.scope}`,
    note: `Both are needed: ${first.note} ${second.note}`,
    discouraged: first.discouraged || second.discouraged,
    persistence: leastLasting([first.persistence, second.persistence], `${first.persistence.keep} ${second.persistence.keep}`),
  };
}

/** What fixing A → B comes to: nothing to fix, fixes predicted to work, or no fix and why. */
export interface FixAdvice {
  status: 'reaches' | 'fixes' | 'no-fix';
  fixes: Fix[];
  advice: string | null;
}

/** The socket a service would need, in words: the address and port B's namespace must listen on. */
function socketWanted(answer: WhyAnswer): string {
  const d = answer.addresses.map((x) => x.decidedBy).find((x) => x?.kind === 'socket');
  if (!d || d.kind !== 'socket') return 'Something must listen there';
  const where = answer.to.kind === 'container' ? `in ${answer.to.name}` : `on ${answer.to.name}`;
  const any = d.address.includes(':') ? '::' : '0.0.0.0';
  const bound = d.bound === 'loopback-only' ? ' (it is bound to loopback only, which only its own namespace reaches)' : d.bound === 'other-address' ? ' (it is bound to other addresses only)' : '';
  return `A socket must listen on ${d.address}:${d.port}/${d.proto} or ${any}:${d.port}/${d.proto} ${where}${bound}`;
}

/**
 * Fixes for A → B, each predicted on the changed snapshots and kept only when A then reaches B as asked: the flow
 * (ping, TCP, UDP port), request and reply, in the families asked. `sideEffects` counts what else each one opens
 * (every pair on small hosts: the costly part, skipped where only the top fix is named).
 */
export function adviseFixes(world: World, answer: WhyAnswer, flow: Flow, opts: { sideEffects?: boolean } = {}): FixAdvice {
  const sideEffects = opts.sideEffects ?? true;
  const named = askedByName(answer);
  if (answer.verdict === 'reachable' && (!named || answer.dns.resolves)) return { status: 'reaches', fixes: [], advice: null };
  // Docker's own rules for the pair's networks are gone (a firewall manager or a flush removed them): a rule added
  // for one path would stand among the ruins; dockerd writes them all again when it restarts.
  const wiped = answer.dockerRules;
  if (wiped) {
    const nets = wiped.networks.map((n) => n.name).join(', ');
    return { status: 'no-fix', fixes: [], advice: `Docker's rules for ${nets} are missing on ${wiped.host} (${wiped.code}): restart dockerd so it writes them again (systemctl restart docker), and start the firewall manager before Docker from then on; netdiag doctor names each missing rule and the likely cause` };
  }
  if (answer.verdict === 'unknown') {
    const d = answer.addresses.find((x) => x.verdict === 'unknown' && x.decidedBy)?.decidedBy;
    return { status: 'no-fix', fixes: [], advice: `netdiag cannot tell whether ${answer.from.name} reaches ${answer.to.name}${d ? `: ${d.reason}` : ''}; fix what netdiag cannot see first (netdiag why shows it)` };
  }
  // From the host itself, what blocks is the host's own OUTPUT or a peer's rules: no container-scoped fix applies, but
  // a host asking for its own macvlan containers is helped by a shim on their parent.
  if (answer.from.kind !== 'container') {
    const shims = predict(world, answer, flow, macvlanShims(world, answer), sideEffects).map((p) => p.fix).filter(works).sort((x, y) => rank(x) - rank(y));
    if (shims.length > 0) return { status: 'fixes', fixes: shims, advice: null };
    const none = noShimReason(world, answer);
    if (none) return { status: 'no-fix', fixes: [], advice: `no host-side macvlan interface (shim) can reach it: ${none}` };
  }
  if (answer.from.kind !== 'container') return { status: 'no-fix', fixes: [], advice: `netdiag proposes fixes for containers; from the host, what decides is its own OUTPUT chain or a peer's rules (netdiag why shows which)` };
  // An address that lands in another holder: the path is right, the address is wrong; no firewall change moves it
  // (the drop on the way, which such a change would target, is not the cause).
  const elsewhere = answer.addresses.find((x) => x.verdict !== 'reachable' && x.decidedBy?.kind === 'elsewhere');
  if (answer.verdict === 'blocked' && elsewhere && answer.addresses.every((x) => x.verdict !== 'blocked' || x.decidedBy?.kind === 'elsewhere')) {
    const d = elsewhere.decidedBy as DecisionOf<'elsewhere'>;
    const mine = d.overlap?.find((o) => o.host === answer.to.host && o.network !== null);
    // A route shadowing another (a Docker network colliding with a LAN/VPN prefix): doctor's fix for that collision.
    const cure = d.shadow ? collisionFixFor(world, d.shadow.network.host, d.shadow.network.name) : mine?.network ? renumberingFor(world, mine.host, mine.network) : null;
    return { status: 'no-fix', fixes: [], advice: `${d.reason}. No firewall or route change moves an address: ${cure ?? 'give one of the networks holding it a subnet of its own (docker network create --subnet …, or "bip" / "default-address-pools" in daemon.json)'}` };
  }
  // Nothing to reach: B has no address (--network none) in the families asked.
  if (answer.addresses.length === 0) return { status: 'no-fix', fixes: [], advice: `${answer.to.name} has no address to reach${answer.to.namespace ? ` (${answer.to.namespace})` : ''}: connect it to a network first (docker network connect NET ${answer.to.name} is refused for --network none: recreate it on a network)` };
  // Docker's resolver asked for directly: what stands in the way is said by the resolver's own path.
  if (answer.dns.resolver !== null && answer.to.kind !== 'container' && answer.verdict !== 'reachable') return { status: 'no-fix', fixes: [], advice: answer.dns.note };
  // The network delivers it and nothing listens: no firewall or network change makes a service appear.
  if (onlySocketBlocks(answer)) return { status: 'no-fix', fixes: [], advice: `the network delivers it, but ${answer.addresses.find((x) => x.decidedBy?.kind === 'socket')?.decidedBy?.reason}. ${socketWanted(answer)}. netdiag changes the network, not services.` };
  const a = resolveContainer(world, answer.from.name);
  const b = answer.to.kind === 'container' ? resolveContainer(world, answer.to.name) : null;
  // Reachable by address, not by name: only a shared user-defined network gives Docker's DNS the name.
  if (answer.verdict === 'reachable') {
    const fixes = predict(world, answer, flow, b ? networkConnects(a, b) : [], sideEffects)
      .map((p) => p.fix)
      .filter((f) => f.predicted.forward === 'reachable' && f.byName === 'resolves')
      .sort((x, y) => rank(x) - rank(y));
    const address = answer.addresses.find((x) => x.verdict === 'reachable')?.ip;
    const why = `${answer.to.name} is reachable at ${address}, but ${answer.dns.note}`;
    if (fixes.length > 0) return { status: 'fixes', fixes, advice: why };
    const joinable = b ? [a, b].filter(connectable).map((c) => c.name) : [];
    const share = joinable.length === 2 ? `, or put both on one user-defined network: docker network create NET, then docker network connect NET ${joinable[0]} and docker network connect NET ${joinable[1]} (a network that does not exist yet is one netdiag cannot predict)` : '';
    return { status: 'no-fix', fixes: [], advice: `${why}. Use the address${share}` };
  }
  const candidates = candidatesFor(world, answer, flow);
  let predicted = predict(world, answer, flow, candidates, sideEffects);
  // Drops in a row (forwarding off, then isolation): no one change works, but one that moves the drop further on is
  // half a fix, and what opens the next drop, asked of the changed hosts, is the other half. One level deep only.
  if (!predicted.some((p) => works(p.fix))) {
    const halves = predicted.filter((p) => p.after.verdict === 'blocked' && !onlySocketBlocks(p.after) && firstDrop(p.after) !== firstDrop(answer));
    const pairs = halves.flatMap((p) => candidatesFor(p.afterWorld, p.after, flow).map((next) => then(p.candidate, next)));
    if (pairs.length > 0) predicted = [...predicted, ...predict(world, answer, flow, pairs, sideEffects)];
  }
  // A fix is one that makes the question work: anything else (still blocked, unknown, or blocked by a missing socket
  // once the network is open) is not offered.
  const fixes = predicted.map((p) => p.fix).filter(works).sort((x, y) => rank(x) - rank(y));
  if (fixes.length > 0) {
    // Said after the fixes it is worse than, and only when there are some.
    const fine = fixes.some((f) => !f.discouraged);
    for (const f of fixes) if (f.discouraged && fine) f.note += ' Prefer the fixes above.';
    const allUnnamed = named && fixes.every((f) => f.byName === 'fails');
    return { status: 'fixes', fixes, advice: allUnnamed ? `none of these makes the name ${answer.dns.name} resolve from ${answer.from.name} (${answer.dns.note}): use the address` : null };
  }
  // The network could be opened, but then the service is missing: that is what to say, with the fix that would open it.
  for (const p of predicted) if (p.sideEffects) Object.assign(p.fix, p.sideEffects());
  const service = [...predicted].sort((x, y) => rank(x.fix) - rank(y.fix)).find((p) => onlySocketBlocks(p.after));
  if (service) return { status: 'no-fix', fixes: [], advice: `no network fix makes it work: after ${service.fix.title} [${service.fix.id}] the network would deliver it, but ${service.after.addresses.find((x) => x.decidedBy?.kind === 'socket')?.decidedBy?.reason}. ${socketWanted(service.after)}` };
  const d = answer.addresses.find((x) => x.verdict === 'blocked')?.decidedBy;
  return { status: 'no-fix', fixes: [], advice: `no fix netdiag knows of would open this path${d ? ` (what blocks it: ${d.reason})` : ''}${predicted.length > 0 ? `; the ${predicted.length} it tried are each predicted to leave it ${[...new Set(predicted.map((p) => p.fix.predicted.forward))].join(' or ')}` : ''}` };
}

/** Ranked fixes for `answer`, each predicted to make A → B work as asked (empty when none would). */
export function fixesFor(world: World, answer: WhyAnswer, flow: Flow): Fix[] {
  return adviseFixes(world, answer, flow).fixes;
}
