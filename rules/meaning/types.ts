// What a firewall rule means, decided once when the model is built: its reason code, who owns it, and what it names.
import type { ReasonCode } from '../../snapshot/contract.js';

/**
 * Who wrote a rule. Docker rewrites its own rules at every daemon start and network change; an administrator's
 * (DOCKER-USER, or any rule no manager claims) stays until someone removes it; netdiag's carry its fix or plan ID;
 * other managers (ufw, firewalld, kube-proxy …) rewrite theirs on their own reloads.
 */
export type Owner = 'docker' | 'admin' | 'netdiag' | 'manager';

/** What decided a verdict, as a code: the contract's vocabulary (snapshot/contract/trace.ts). */
export type DecisionCode = ReasonCode;

/** What a rule does, in the terms an operator meets: the codes a rule's meaning can have (the rest are the walk's). */
export type RuleCode = Exclude<ReasonCode, 'forward-policy' | 'policy' | 'no-route' | 'no-neighbour' | 'ip-forward-off' | 'wrong-container' | 'overlapping-subnet' | 'parent-isolation' | 'lower-private' | 'parent-down' | 'no-uplink' | 'nothing-listens' | 'loopback-only' | 'no-tasks' | 'not-balanced' | 'unknown'>;

export interface RuleMeaning {
  code: RuleCode;
  owner: Owner;
  /** The manager that owns it when `owner` is `manager` (ufw, firewalld, kube-proxy …); null otherwise. */
  manager: string | null;
  /**
   * A drop Docker writes to keep outsiders off a network (direct access, unpublished ports): met by a packet coming
   * from another Docker bridge, it is what isolates the two networks.
   */
  isolatesOtherBridges: boolean;
  /** The Docker bridges it names (by interface), and their networks' IDs when Docker reports them. */
  bridges: string[];
  networks: string[];
  /** Containers it names by address (IDs), and the addresses and networks it names (CIDR text). */
  containers: string[];
  addresses: string[];
  /** Destination ports it names. */
  ports: number[];
  /** The fix or plan netdiag wrote it for (its comment `netdiag:fx-…`), if it did. */
  netdiagId: string | null;
}
