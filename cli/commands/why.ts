// `netdiag why A B`: explain A → B. Exit codes follow ping/grep: 0 reachable, 1 blocked (or reachable by address while
// the name asked does not resolve), 3 unknown (2: bad input; 4: reachable, from a partial snapshot).
import { parseFamilies, parseFlow } from '../../rules/query/flow.js';
import { reachableButNameFails } from '../../rules/why/asked.js';
import { WhyResult } from '../../snapshot/contract/why.js';
import type { Io } from '../io.js';
import { renderWhy } from '../render/why.js';
import { styleFor } from '../render/style.js';
import type { SourceOptions } from '../sources.js';
import { answerExit } from '../exit-codes.js';
import { agentQuestion, askLocalAgent } from '../local-agent.js';
import type { NotAnswered } from '../local-agent.js';
import { exitOf, whyFromAgent } from '../why-agent-answer.js';

type WhyOptions = SourceOptions & { port?: string; json?: boolean; ipv4?: boolean; ipv6?: boolean; noAgent?: boolean; allNamespaces?: boolean };

/** What the quick path (bin.ts) already learnt from the local agent when it did not answer: not asked twice. */
export type AskedAgent = NotAnswered | null;

export async function whyCommand(a: string, b: string, opts: WhyOptions, io: Io, asked?: AskedAgent): Promise<number> {
  const flow = parseFlow(opts.port);
  const families = parseFamilies(opts);
  // This host's agent already read every container: when its snapshot is fresh, its answer is the one collecting
  // would give, in a loopback round trip.
  const local = asked !== undefined ? asked : await askLocalAgent(agentQuestion(a, b, opts.port, families), opts, io);
  if (local && 'text' in local) {
    const answered = await whyFromAgent(local, opts.json, io);
    if (answered !== null) return answered;
  } else if (local?.explicit) io.stderr(`netdiag: not answered by the agent at ${io.env.NETDIAG_AGENT}: ${local.reason}; collecting this host\n`);
  // Asked at a terminal, only A, B and what they share are inspected and entered (the time does not grow with the
  // containers the question does not touch). --json carries fixes whose "also opens" covers every pair: all of them.
  // B named: its name is resolved through Docker's resolver, whose socket ends that walk. B by address: the answer
  // still says whether B's name resolves from A (and the way to the resolver), so names and sockets are read alike.
  // Loaded only when collecting: an answer from the agent needs neither the collectors nor the model.
  const [{ questionScope }, { loadWorld }] = await Promise.all([import('../../collectors/scope.js'), import('../sources.js')]);
  // A ping walks names and sockets only in A's and B's namespaces (the lookup, and the reverse one a fix is
  // checked with): the containers on their networks are not entered for them, and a ping's answer never names the
  // process behind a host's socket (ss -p reads every process's descriptors). The other iptables backend's count is
  // read by no walk.
  const skip = { ...(flow.proto === 'icmp' ? { namesOfAskedOnly: true, socketProcesses: false } : {}), otherBackend: false };
  // --json carries fixes, each with what else it opens: collected for them too, A's and B's networks whole (a network
  // connect joins one of them), and the whole host when a fix reaches further (fix-reach.ts). Their containers are
  // inspected, and entered only where Docker's data does not describe them (or --all-namespaces): "also opens" takes
  // the others' namespaces as Docker makes them, and says which pairs that was for (alsoOpensNotRead).
  const scope = (enterAll: boolean) => questionScope([a, b], { pairNetworks: opts.json === true, enterAll });
  const collected = loadWorld(opts, io, { scope: scope(opts.allNamespaces === true), ...skip });
  collected.catch(() => undefined);
  // The walk's code loads while the host answers (the collection above has started its reads), and so does the
  // fixes' code a blocked answer's next step needs at a terminal or piped (--json loads more of it, below).
  const advice = opts.json ? null : import('../../rules/changes/fixes.js');
  advice?.catch(() => undefined);
  const { why } = await import('../../rules/why/why.js');
  let world = await collected;
  // A bystander not entered that Docker's data does not describe after all (a network that is not a bridge): read.
  if (opts.json && world.hosts.some((h) => h.snapshot.notEntered?.length) && (await import('../../rules/changes/assumed-namespaces.js')).assumeNotEntered(world.hosts.map((h) => h.snapshot)).undescribed.length > 0) {
    world = await loadWorld(opts, io, { scope: scope(true), ...skip });
  }
  let answer = why(world, a, b, flow, families);
  // Fixes cost a model run per candidate: computed only where they are shown (the JSON contract carries them).
  if (opts.json) {
    // Loaded only here: the predictions behind fixes are most of the code a `why` at a terminal would otherwise load.
    const [{ fixesFor }, { missingParts }, { fixesStayOnPairNetworks }] = await Promise.all([import('../../rules/changes/fixes.js'), import('../../rules/query/missing.js'), import('../../rules/changes/fix-reach.js')]);
    let fixes = fixesFor(world, answer, flow);
    if (world.hosts.some((h) => h.snapshot.scope !== null) && !fixesStayOnPairNetworks(world, fixes)) {
      world = await loadWorld(opts, io, skip);
      answer = why(world, a, b, flow, families);
      fixes = fixesFor(world, answer, flow);
    }
    io.stdout(`${JSON.stringify(WhyResult.parse({ ...answer, fixes, missing: missingParts(world) }))}\n`);
  } else {
    // The next step is only worth saying when it is true: the fixes are predicted (without counting what else each
    // opens, which only the full fix listing shows).
    const next = answer.verdict === 'reachable' && !reachableButNameFails(answer) ? null : (await (advice ?? import('../../rules/changes/fixes.js'))).adviseFixes(world, answer, flow, { sideEffects: false });
    io.stdout(`${renderWhy(answer, styleFor(io), next, { from: a, to: b }).join('\n')}\n`);
  }
  return answerExit(exitOf(answer), world.hosts.map((h) => h.snapshot));
}
