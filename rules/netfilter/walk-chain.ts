// Walks a packet through one hook of one table the way the kernel does: jumps, goto, RETURN, policies, marks, NAT.
import { isNonTerminating } from '../iptables/ast.js';
import type { Target } from '../iptables/ast.js';
import { matchRule } from '../iptables/match.js';
import type { Ip } from '../addr/addr.js';
import type { MatchHost, Packet } from '../iptables/packet.js';
import { candidates } from './ruleset.js';
import type { Table } from './ruleset.js';
import type { RuleRef } from '../../snapshot/contract.js';

export type NatAction =
  | { kind: 'DNAT'; toIp: Ip | null; toPort: [number, number] | null }
  | { kind: 'SNAT'; toSource: string; toIp: Ip | null }
  | { kind: 'MASQUERADE' }
  | { kind: 'REDIRECT'; toPort: [number, number] | null };

export interface HookOutcome {
  verdict: 'ACCEPT' | 'DROP' | 'REJECT' | 'unknown';
  /** The rule that decided; null when a built-in chain's policy did (or nothing matched in an empty hook). */
  decidedBy: RuleRef | null;
  /** The built-in chain whose policy decided, when no rule did. */
  policyOf: string | null;
  /** Every rule that matched and acted on the way (jumps, returns, marks, the decision), in order. */
  path: RuleRef[];
  nat: NatAction | null;
  mark: number;
  /** With verdict unknown: why the deciding rule cannot be evaluated, when it is more than an unmodelled match. */
  unknownWhy: string | null;
}

/**
 * How deep jumps may nest below a base chain. nf_tables refuses to load a chain 16 jumps deep (nft_chain_validate:
 * level == NFT_JUMP_STACK_SIZE → EMLINK), so iptables-nft rule sets never hold one; legacy x_tables sizes its jump
 * stack by the number of chains, so only a loop has no end there, and a bound keeps the walk's own stack safe.
 */
export function jumpLimit(backend: string | null): number {
  return backend === 'nf_tables' ? 15 : 1000;
}

class UnknownRule extends Error {
  constructor(
    readonly ref: RuleRef,
    readonly why: string | null = null,
  ) {
    super('unknown');
  }
}

type ChainResult = { kind: 'verdict'; verdict: 'ACCEPT' | 'DROP' | 'REJECT'; ref: RuleRef; nat: NatAction | null } | { kind: 'return' };

/**
 * Walk `chain` (a built-in chain such as FORWARD) of `table`. A missing table or chain accepts, as the kernel does
 * when nothing is registered on the hook. The packet's mark is updated by MARK targets.
 */
export function walkHook(table: Table | undefined, chain: string, packet: Packet, host: MatchHost, maxDepth = jumpLimit(null)): HookOutcome {
  const path: RuleRef[] = [];
  const start = table?.get(chain);
  if (!table || !start) return { verdict: 'ACCEPT', decidedBy: null, policyOf: null, path, nat: null, mark: packet.mark, unknownWhy: null };
  try {
    // The chains on the current jump path: jumping to one of them again is a loop, which the kernel refuses to load.
    const r = walkChain({ table, packet, host, maxDepth, path, onPath: [chain] }, chain, 0);
    if (r.kind === 'verdict') return { verdict: r.verdict, decidedBy: r.ref, policyOf: null, path, nat: r.nat, mark: packet.mark, unknownWhy: null };
    return { verdict: start.policy === 'DROP' ? 'DROP' : 'ACCEPT', decidedBy: null, policyOf: chain, path, nat: null, mark: packet.mark, unknownWhy: null };
  } catch (error) {
    if (error instanceof UnknownRule) {
      path.push(error.ref);
      return { verdict: 'unknown', decidedBy: error.ref, policyOf: null, path, nat: null, mark: packet.mark, unknownWhy: error.why };
    }
    throw error;
  }
}

/** One walk through a hook's chains: what every level of the jump stack shares (a function per call cost a matrix). */
interface HookWalk {
  table: Table;
  packet: Packet;
  host: MatchHost;
  maxDepth: number;
  path: RuleRef[];
  onPath: string[];
}

const RETURN: ChainResult = { kind: 'return' };

function walkChain(w: HookWalk, name: string, depth: number): ChainResult {
  const { table, packet, host, path, onPath } = w;
  const c = table.get(name);
  if (!c) return RETURN;
  // MARK rules change no address, so the candidates chosen on entry stay the ones that can match.
  for (const rule of candidates(c, packet.src, packet.dst)) {
    const t: Target = rule.parsed.target;
    // A rule iptables-save would never print: what it matches and does are both guesses, so it is unknown when reached.
    if (rule.parsed.problems.length > 0) throw new UnknownRule(rule.ref, `not a rule iptables-save prints: ${rule.parsed.problems[0]}`);
    const m = matchRule(rule.tests, packet, host);
    if (m === false) continue;
    if (m === 'unknown') {
      // A non-terminating rule (LOG, counters) cannot change the outcome: skip it. Anything else: we cannot tell.
      if (isNonTerminating(t)) continue;
      throw new UnknownRule(rule.ref);
    }
    switch (t.kind) {
      case 'ACCEPT':
      case 'DROP':
      case 'REJECT':
        path.push(rule.ref);
        return { kind: 'verdict', verdict: t.kind, ref: rule.ref, nat: null };
      case 'RETURN':
        path.push(rule.ref);
        return RETURN;
      case 'jump':
      case 'goto': {
        if (!table.has(t.chain)) throw new UnknownRule(rule.ref, `there is no chain ${t.chain} in this table`);
        if (onPath.includes(t.chain)) throw new UnknownRule(rule.ref, `it jumps back to ${t.chain}, closing a loop the kernel would refuse to load: the snapshot is inconsistent`);
        if (depth + 1 > w.maxDepth) throw new UnknownRule(rule.ref, `it nests jumps ${depth + 1} deep, past what the kernel loads (${w.maxDepth}): the snapshot is inconsistent`);
        path.push(rule.ref);
        onPath.push(t.chain);
        const r = walkChain(w, t.chain, depth + 1);
        onPath.pop();
        if (r.kind === 'verdict') return r;
        // goto does not come back here: RETURN from the target returns from this chain.
        if (t.kind === 'goto') return RETURN;
        continue;
      }
      case 'MARK':
        path.push(rule.ref);
        packet.mark = applyMark(packet.mark, t);
        continue;
      case 'LOG':
      case 'CHECKSUM':
      case 'none':
        continue;
      case 'DNAT':
      case 'SNAT':
      case 'MASQUERADE':
      case 'REDIRECT':
        path.push(rule.ref);
        return { kind: 'verdict', verdict: 'ACCEPT', ref: rule.ref, nat: natOf(t) };
      case 'unknown':
        throw new UnknownRule(rule.ref);
    }
  }
  return RETURN;
}

function applyMark(mark: number, t: Extract<Target, { kind: 'MARK' }>): number {
  switch (t.op) {
    case 'xset':
      return (((mark & ~t.mask) ^ t.value) >>> 0) as number;
    case 'set':
      return ((mark & ~t.mask) | (t.value & t.mask)) >>> 0;
    case 'and':
      return (mark & t.value) >>> 0;
    case 'or':
      return (mark | t.value) >>> 0;
    case 'xor':
      return (mark ^ t.value) >>> 0;
  }
}

function natOf(t: Target): NatAction {
  switch (t.kind) {
    case 'DNAT':
      return { kind: 'DNAT', toIp: t.toIp, toPort: t.toPort };
    case 'SNAT':
      return { kind: 'SNAT', toSource: t.toSource, toIp: t.toIp };
    case 'REDIRECT':
      return { kind: 'REDIRECT', toPort: t.toPort };
    default:
      return { kind: 'MASQUERADE' };
  }
}
