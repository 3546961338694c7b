// What a firewall rule means, decided once when the model is built: its reason code, who owns it, and what it names.

/**
 * Who wrote a rule. Docker rewrites its own rules at every daemon start and network change; an administrator's
 * (DOCKER-USER, or any rule no manager claims) stays until someone removes it; netdiag's carry its fix or plan ID;
 * other managers (ufw, firewalld, kube-proxy …) rewrite theirs on their own reloads.
 */
export type Owner = 'docker' | 'admin' | 'netdiag' | 'manager';

/** What a rule does, in the terms an operator meets: the same meaning gets the same code on either backend. */
export type RuleCode =
  | 'isolation'
  | 'internal'
  | 'icc-off'
  | 'direct-access'
  | 'unpublished-port'
  | 'loopback-publish'
  | 'admin-rule'
  | 'link'
  | 'published'
  | 'forward-accept'
  | 'established'
  | 'masquerade'
  | 'dnat'
  | 'proxy-return'
  | 'dns'
  | 'jump'
  | 'rule';

/** What decided a verdict, as a code: a rule's, or one of the walk's own (a route, a socket, a sysctl …). */
export type DecisionCode =
  | RuleCode
  | 'forward-policy'
  | 'policy'
  | 'no-route'
  | 'no-neighbour'
  | 'ip-forward-off'
  | 'wrong-container'
  | 'nothing-listens'
  | 'loopback-only'
  | 'unknown';

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
