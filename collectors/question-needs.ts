// What a question needs collected, as either way of placing it says it: Docker's list (scope.ts) or inspections alone
// (scope-direct.ts). Its own module: scope.ts imports scope-direct.ts, and a type-only import back would be a circle.

/** What a question needs collected: the containers to inspect and enter, and whether any IPv6 is in it. */
export interface QuestionNeeds {
  ids: Set<string>;
  /**
   * A question between containers without IPv6 addresses walks no IPv6 packet: ip6tables and the host's IPv6 routes
   * are then not read (three processes, and a route per container veth).
   */
  ipv6: boolean;
  /** The question's own containers (A, B, the namespaces they use, other holders of their addresses): ids ⊆ these + their networks. */
  asked: Set<string>;
  /**
   * The containers whose namespaces are entered (null: every one inspected). A bystander on the pair's networks that
   * Docker's own data describes whole is inspected, not entered: one process less each (see scope.ts bystanderReadable).
   */
  entered: Set<string> | null;
}

/** A container's addresses on its networks, as Docker's list summary and its inspection both spell them. */
export const addressesOf = (c: { NetworkSettings?: { Networks?: Record<string, { IPAddress?: string; GlobalIPv6Address?: string } | null> | null } }): string[] =>
  Object.values(c.NetworkSettings?.Networks ?? {}).flatMap((n) => [n?.IPAddress, n?.GlobalIPv6Address].filter((a): a is string => !!a));
