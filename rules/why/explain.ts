// Why a rule decided, in words and as a short code that Docker's iptables and nftables layouts share: a user sees
// "isolated from other networks" whichever backend dropped the packet.
import type { Decision } from '../../snapshot/contract.js';

/** Where the deciding packet came from and went, when the walk knows: tells isolation from outside access. */
export interface DecisionContext {
  /** The interface the packet arrived on at the deciding chain, and whether it is a Docker bridge. */
  inIface: string | null;
  inDockerBridge: boolean;
}

const NFT_COMMENT_CODE: Record<string, string> = {
  'DROP DIRECT ACCESS': 'direct-access',
  'UNPUBLISHED PORT DROP': 'unpublished-port',
  ICC: 'icc-off',
  'INTERNAL NETWORK INGRESS': 'internal',
  'INTERNAL NETWORK EGRESS': 'internal',
  'DROP REMOTE LOOPBACK': 'loopback-publish',
};

/** The nftables rule's comment, as Docker 29 writes it: the rule text ends with `comment "…"`. */
const commentOf = (d: Decision) => /comment "([^"]*)"$/.exec(('text' in d ? d.text : undefined) ?? '')?.[1] ?? null;

/** A short code for what decided: the same meaning gets the same code on either backend. */
export function reasonCode(d: Decision, ctx: DecisionContext | null = null): string {
  const text = ('text' in d ? d.text : undefined) ?? '';
  // Dropped on the way into a network from another Docker bridge: that is isolation, whichever rule does it.
  const fromOtherBridge = ctx?.inDockerBridge === true;
  switch (d.kind) {
    case 'socket':
      return /only on 127\.|only on \[::1\]/.test(d.reason) ? 'loopback-only' : 'nothing-listens';
    case 'route':
      return 'no-route';
    case 'neighbour':
      return 'no-neighbour';
    case 'sysctl':
      return 'ip-forward-off';
    case 'elsewhere':
      return 'wrong-container';
    case 'unknown-rule':
    case 'missing-data':
    case 'exit':
      return 'unknown';
    case 'policy':
      return d.chain === 'FORWARD' || /filter-FORWARD$/.test(d.chain ?? '') ? 'forward-policy' : 'policy';
    default:
      break;
  }
  const nft = d.family ? commentOf(d) : null;
  if (nft && NFT_COMMENT_CODE[nft]) {
    const code = NFT_COMMENT_CODE[nft] as string;
    return (code === 'direct-access' || code === 'unpublished-port') && fromOtherBridge ? 'isolation' : code;
  }
  if (d.chain === 'DOCKER-ISOLATION-STAGE-1' || d.chain === 'DOCKER-ISOLATION-STAGE-2') return /! -[sd] \S+ -[io] \S+ -j DROP/.test(text) ? 'internal' : 'isolation';
  if (/-i (\S+) -o \1 -j DROP/.test(text)) return 'icc-off';
  if (d.table === 'raw' && d.chain === 'PREROUTING' && /-j DROP$/.test(text)) return fromOtherBridge ? 'isolation' : 'direct-access';
  if (d.chain === 'DOCKER' && /! -i (\S+) -o \1 -j DROP/.test(text)) return fromOtherBridge ? 'isolation' : 'unpublished-port';
  if (d.chain === 'DOCKER-USER') return 'admin-rule';
  if (d.chain === 'DOCKER' && /--[ds]port \d+ -j ACCEPT$/.test(text) && /^-A DOCKER -s /.test(text)) return 'link';
  if (d.chain === 'DOCKER' && /-j ACCEPT$/.test(text)) return 'published';
  return 'rule';
}

const MEANING: Record<string, string> = {
  isolation: 'Docker isolates its bridge networks from each other: traffic from one Docker network into another is dropped.',
  internal: 'This network is --internal: Docker drops everything between it and any other network or the outside.',
  'icc-off': 'Inter-container communication is disabled on this network (com.docker.network.bridge.enable_icc=false): with br_netfilter, containers on the same bridge cannot talk.',
  'direct-access': 'Docker 28+ drops packets addressed straight to a container from outside its bridge, before any of your rules can accept them (raw PREROUTING, or Docker 29\'s "DROP DIRECT ACCESS").',
  'unpublished-port': 'Docker 28+ drops traffic into a bridge network unless it is for a published port.',
  'loopback-publish': 'The port is published on 127.0.0.1 only: Docker drops it from anywhere but the host itself.',
  'admin-rule': 'A rule in DOCKER-USER, the chain Docker leaves to administrators.',
  link: 'Docker wrote this for --link: with inter-container communication off, a link opens exactly the linked container\'s exposed port, one way.',
};

/** A sentence on what Docker meant by the deciding rule, when netdiag recognises it. */
export function dockerMeaning(d: Decision): string | null {
  if (d.kind === 'policy' && (d.chain === 'FORWARD' || /filter-FORWARD$/.test(d.chain ?? ''))) {
    return d.family
      ? 'Docker 29\'s nftables FORWARD chain takes its policy from ip_forward at startup: anything no rule accepts is dropped.'
      : 'Docker sets FORWARD\'s policy to DROP when it turns on ip_forward itself, so anything no rule accepts is dropped.';
  }
  if (d.kind !== 'rule') return null;
  const code = d.code ?? reasonCode(d);
  return MEANING[code] ?? null;
}

/** ip6tables' rules are named with the tool that lists them: `filter FORWARD rule 3` alone would send you to iptables. */
const tool = (d: Decision) => ('ip6tables' in d && d.ip6tables ? 'ip6tables ' : '');

export function describeDecision(d: Decision): string {
  const where = d.direction === 'reply' ? ' (on the reply)' : '';
  const counted = 'packets' in d && d.packets !== undefined ? ` — ${d.packets} packet${d.packets === 1 ? '' : 's'} matched so far` : '';
  switch (d.kind) {
    case 'rule':
      return d.family ? `${d.host}: ${d.table} ${d.chain} handle ${d.handle}${where}${counted}` : `${d.host}: ${tool(d)}${d.table} ${d.chain} rule ${d.index}${where}${counted}`;
    case 'policy':
      return `${d.host}: ${tool(d)}${d.table} ${d.chain} policy${where}`;
    default:
      return `${d.host}: ${d.reason}${where}`;
  }
}
