// A connection through IPVS may go to any task of the service: each is walked, and the flow is reachable only when
// every one is (a user asking "can A reach web" means every connection, and rr sends some to each task).
import type { Ip } from '../addr/addr.js';
import type { ContainerModel, World } from '../model/types.js';
import type { Decision, Flow, Hop } from '../../snapshot/contract.js';
import { recorded } from './action.js';
import { walkFlow } from './flow.js';
import type { FlowResult, Origin } from './flow.js';

/** At most this many walks per question: services behind services multiply their tasks; beyond it the answer is unknown. */
export const MAX_BALANCED_WALKS = 64;

/** The task a result followed: the last virtual service's chosen real server, with the service and the count. */
function taskOf(r: FlowResult): { text: string; service: string | null; of: number; index: number } | null {
  const last = r.balanced[r.balanced.length - 1];
  if (!last) return null;
  return { text: `${last.destinations[last.chosen]} (${last.namespace} on ${last.host})`, service: last.service, of: last.destinations.length, index: last.chosen };
}

/** The decision of one task's walk, its sentence naming the task (kind and fields stay: fixes and codes read them). */
function named(d: Decision | null, r: FlowResult, total: number, count: number): Decision | null {
  const t = taskOf(r);
  if (!d || !t) return d;
  const who = `task ${t.text}${t.service ? ` of service ${t.service}` : ''}`;
  return { ...d, reason: `${count} of ${total} task walks ${r.outcome === 'blocked' ? 'are blocked' : 'are unknown'}; ${who}: ${d.reason}` };
}

/** Every combination of real servers the request can meet, walked depth-first (each walk tells what it met). */
function everyTask(world: World, origin: Origin, dst: Ip, flow: Flow, depth: number, record: boolean, expect: ContainerModel | null): { results: FlowResult[]; truncated: boolean } {
  const results: FlowResult[] = [];
  let truncated = false;
  const explore = (picks: number[]): void => {
    if (results.length >= MAX_BALANCED_WALKS) {
      truncated = true;
      return;
    }
    const r = walkFlow(world, origin, dst, flow, depth, record, expect, picks);
    results.push(r);
    // Past the picks given, this walk took each service's first task: the others are branches still to walk.
    for (let j = picks.length; j < r.balanced.length; j++) {
      const met = r.balanced[j];
      if (!met) continue;
      for (let alt = 1; alt < met.destinations.length; alt++) explore([...r.balanced.slice(0, j).map((b) => b.chosen), alt]);
    }
  };
  explore([]);
  return { results, truncated };
}

/** What one task's walk said, for the note that lists them all. */
function summary(r: FlowResult): string {
  const t = taskOf(r);
  return `${t ? t.text : '?'}: ${r.outcome}`;
}

function noteFirst(hops: Hop[], text: string): Hop[] {
  const first = hops[0];
  if (!first) return hops;
  return [{ ...first, steps: [recorded({ type: 'note', text }), ...first.steps] }, ...hops.slice(1)];
}

/**
 * walkFlow for a destination that may be balanced: when the request meets IPVS, every task it can be sent to is
 * walked. Reachable only if all are; else the first blocked task's walk (its decision naming the task), else the
 * first unknown one's. Without IPVS on the way this is walkFlow itself.
 */
export function walkBalanced(world: World, origin: Origin, dst: Ip, flow: Flow, depth = 0, record = true, expect: ContainerModel | null = null): FlowResult {
  const { results, truncated } = everyTask(world, origin, dst, flow, depth, record, expect);
  const first = results[0] as FlowResult;
  if (results.length === 1 && !truncated) return first;
  const all = `IPVS can send this connection to ${results.length} task${results.length === 1 ? '' : 's'}${truncated ? ` (netdiag stopped at ${MAX_BALANCED_WALKS} walks)` : ''}, each walked: ${results.map(summary).join('; ')}`;
  const blocked = results.filter((r) => r.outcome === 'blocked');
  const unknown = results.filter((r) => r.outcome === 'unknown');
  const pick = blocked[0] ?? unknown[0];
  if (pick) {
    const failing = pick.outcome === 'blocked' ? blocked.length : unknown.length;
    const rec = record ? noteFirst(pick.request, all) : pick.request;
    return { ...pick, request: rec, decidedBy: named(pick.decidedBy, pick, results.length, failing) };
  }
  if (truncated) {
    const d: Decision = { kind: 'missing-data', host: first.request[0]?.at.host ?? '?', direction: 'request', missing: 'forwarding', reason: `IPVS on the way can send this connection to more than ${MAX_BALANCED_WALKS} combinations of tasks: netdiag walked ${MAX_BALANCED_WALKS}, all reachable, and cannot vouch for the rest`, code: 'unknown' };
    return { ...first, outcome: 'unknown', decidedBy: d, request: record ? noteFirst(first.request, all) : first.request };
  }
  return { ...first, request: record ? noteFirst(first.request, all) : first.request };
}
