// What a recorded step did to the packet, in the trace's one vocabulary (StepAction): decided here, once, for every kind of step.
import type { Step, StepAction } from '../../snapshot/contract.js';

type WithoutAction<T> = T extends unknown ? Omit<T, 'action'> & { action?: StepAction } : never;
/** A step as the walk describes it: its action is filled in when it is recorded, unless the call site knows better. */
export type StepInput = WithoutAction<Step>;

// ip route: blackhole discards silently; unreachable and prohibit answer with ICMP, as does no route at all (or
// ENETUNREACH to a local sender). A broadcast route ends the walk: netdiag follows unicast only.
const ROUTE: Record<Extract<Step, { type: 'route' }>['result'], StepAction> = {
  forward: 'forwarded',
  local: 'received',
  none: 'rejected',
  unreachable: 'rejected',
  prohibit: 'rejected',
  blackhole: 'dropped',
  broadcast: 'dropped',
};

const CHAIN: Record<Extract<Step, { type: 'chain' }>['verdict'], StepAction> = { ACCEPT: 'accepted', DROP: 'dropped', REJECT: 'rejected', unknown: 'unknown' };

const SOCKET: Record<Extract<Step, { type: 'socket' }>['result'], StepAction> = { listening: 'accepted', refused: 'refused', 'not-collected': 'unknown' };

export function stepAction(s: StepInput): StepAction {
  if (s.action) return s.action;
  switch (s.type) {
    case 'route':
      return ROUTE[s.result];
    case 'bridge':
      return s.result === 'no-neighbour' ? 'dropped' : 'forwarded';
    case 'chain':
      return CHAIN[s.verdict];
    case 'nat':
      return 'transformed';
    case 'sysctl':
      return 'dropped';
    case 'deliver':
      return 'delivered';
    case 'socket':
      return SOCKET[s.result];
    case 'proxy':
      return 'forwarded';
    case 'leave':
      return 'exited';
    case 'note':
      return 'noted';
    case 'vxlan':
      return 'forwarded';
  }
}

/** The step as the trace holds it: `type` and `action` first, then what the kind of step says. */
export function recorded(s: StepInput): Step {
  return Object.assign({ type: s.type, action: stepAction(s) }, s) as Step;
}
