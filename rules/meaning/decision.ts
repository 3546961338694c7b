// The code a decision carries, decided where the walk decides: a rule's meaning told apart by where the packet came
// from (a drop meant for outsiders is isolation to a packet from another Docker bridge), or the walk's own cause.
import type { Decision, DecisionOf } from '../../snapshot/contract.js';
import type { HostMeanings } from './host.js';
import type { DecisionCode, RuleMeaning } from './types.js';

/** The interfaces the deciding packet crossed the chain with. */
export interface ChainContext {
  in: string | null;
  out: string | null;
}

export function ruleDecisionCode(m: RuleMeaning | null, at: ChainContext, host: HostMeanings): DecisionCode {
  if (!m) return 'rule';
  const fromOtherBridge = at.in !== null && host.bridges.has(at.in) && at.in !== at.out;
  return m.isolatesOtherBridges && fromOtherBridge ? 'isolation' : m.code;
}


/** A macvlan or ipvlan parent's causes: the host and its children, a private port, no carrier, nowhere beyond. */
const LOWER_CODES: Record<DecisionOf<'lower'>['cause'], DecisionCode> = {
  'host-isolation': 'parent-isolation',
  passthru: 'parent-isolation',
  private: 'lower-private',
  hairpin: 'unknown',
  'parent-down': 'parent-down',
  'dummy-parent': 'no-uplink',
  'no-arp': 'no-neighbour',
};

/** An overlay's causes: no entry for the address, an entry for the wrong node; IPsec and an unread namespace are not seen. */
const OVERLAY_CODES: Record<DecisionOf<'overlay'>['cause'], DecisionCode> = {
  'no-peer': 'overlay-no-peer',
  'stale-peer': 'overlay-stale-peer',
  encrypted: 'unknown',
  'no-namespace': 'unknown',
};

/** The walk's own causes, by the kind of decision: a route, a neighbour, a sysctl, a socket, the edge of the view. */
const CODE_OF_KIND: Partial<Record<Decision['kind'], DecisionCode>> = {
  route: 'no-route',
  neighbour: 'no-neighbour',
  sysctl: 'ip-forward-off',
  elsewhere: 'wrong-container',
  socket: 'nothing-listens',
  'unknown-rule': 'unknown',
  'missing-data': 'unknown',
  exit: 'unknown',
};

/** The walk's own cause of a decision of `kind` (a socket's by how the port is bound); undefined for a rule or policy's. */
export function causeCode(kind: Decision['kind'], fields: object = {}): DecisionCode | undefined {
  if (kind === 'socket' && 'bound' in fields && fields.bound === 'loopback-only') return 'loopback-only';
  if (kind === 'lower' && 'cause' in fields) return LOWER_CODES[fields.cause as DecisionOf<'lower'>['cause']];
  if (kind === 'overlay' && 'cause' in fields) return OVERLAY_CODES[fields.cause as DecisionOf<'overlay'>['cause']];
  // A service's causes are their own codes (no-tasks, not-balanced).
  if (kind === 'service' && 'cause' in fields) return fields.cause as DecisionOf<'service'>['cause'];
  return CODE_OF_KIND[kind];
}
