// The decision of a macvlan or ipvlan parent and its children: the parent, the driver and mode, and the cause.
import type { DecisionOf } from '../../snapshot/contract.js';
import type { HostModel, LowerChild } from '../model/types.js';
import type { LegResult } from './leg.js';
import type { Walk } from './moves.js';

/** The leg stops where a parent and its children decide (how, in `cause`; why, in `reason`). */
export function lowerDecision(w: Walk, host: HostModel, c: LowerChild, cause: DecisionOf<'lower'>['cause'], reason: string): LegResult {
  return w.stopped(w.decision('lower', host.name, reason, { parent: c.parent, driver: c.driver, mode: c.mode, cause }));
}
