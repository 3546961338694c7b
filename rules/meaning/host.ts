// Every rule of a host given its meaning once, when the model is built, and the host-wide facts that follow from
// Docker's rules (the userland proxy, the raw direct-access protection): everything after reads these.
import type { DockerNetwork, HostSnapshot } from '../../snapshot/host-snapshot.js';
import type { RuleRef } from '../../snapshot/contract.js';
import { buildRuleset } from '../netfilter/ruleset.js';
import type { Ruleset } from '../netfilter/ruleset.js';
import { buildNftRuleset } from '../nftables/model.js';
import type { NftRuleset } from '../nftables/model.js';
import { meaningContext } from './context.js';
import { iptablesMeaning } from './iptables.js';
import { nftMeaning } from './nftables.js';
import type { RuleMeaning } from './types.js';
import { DOCKER_CHAIN, netdiagIdOf } from './layouts.js';

/**
 * Each rule's meaning by the reference the walk cites it with, decided the first time it is asked and kept: a rule
 * set of thousands of pinholes (a plan's accepts) is classified only where an answer reads it.
 */
export class RuleMeanings {
  private readonly decided = new Map<RuleRef, RuleMeaning>();

  constructor(private readonly sources: Map<RuleRef, () => RuleMeaning>) {}

  get(ref: RuleRef): RuleMeaning | undefined {
    let m = this.decided.get(ref);
    if (m === undefined) {
      const decide = this.sources.get(ref);
      if (!decide) return undefined;
      this.decided.set(ref, (m = decide()));
    }
    return m;
  }

  get size(): number {
    return this.sources.size;
  }

  *[Symbol.iterator](): IterableIterator<[RuleRef, RuleMeaning]> {
    for (const ref of this.sources.keys()) yield [ref, this.get(ref) as RuleMeaning];
  }
}

export interface HostMeanings {
  /** Each rule's meaning, by the reference the walk cites it with. */
  byRule: RuleMeanings;
  /** Docker's bridges (from its networks, or named by its own chains), with their network when Docker reports it. */
  bridges: Map<string, DockerNetwork | null>;
  /**
   * Docker's userland proxy is in use: 20.10–28 return traffic from a bridge before DNAT in nat DOCKER (docker-proxy
   * serves it); 29 keeps `! -i <bridge>` on its DNAT rules. With no DNAT at all, published ports are the proxy's.
   */
  userlandProxy: boolean;
  /** Docker 28+'s iptables raw PREROUTING drops of direct access to containers (IPv4) are on this host. */
  directAccessDrops: boolean;
  /** The rules netdiag wrote (its comment names the fix or plan), where each is: to tell a change still in place. */
  netdiagRules: { id: string; ruleset: 'iptables' | 'ip6tables' | 'nft'; table: string; chain: string }[];
}

export function hostMeanings(s: HostSnapshot, rulesets: (Ruleset | null)[], nft: NftRuleset | null): HostMeanings {
  const ctx = meaningContext(s, rulesets);
  const sources = new Map<RuleRef, () => RuleMeaning>();
  const byRule = new RuleMeanings(sources);
  let proxyMarks = false;
  let dnat = false;
  let natDocker = false;
  let directAccessDrops = false;
  const netdiagRules: HostMeanings['netdiagRules'] = [];
  rulesets.forEach((rs, k) => {
    for (const [table, chains] of rs ?? []) {
      for (const [name, chain] of chains) {
        for (const r of chain.rules) {
          sources.set(r.ref, () => iptablesMeaning(table, name, r.parsed, ctx));
          // The host-wide facts read only the few rules they are about (netdiag's comments, raw, nat DOCKER).
          const comment = r.parsed.matches.find((x) => x.kind === 'comment');
          const id = comment?.kind === 'comment' ? netdiagIdOf(comment.text) : null;
          if (id !== null) netdiagRules.push({ id, ruleset: k === 0 ? 'iptables' : 'ip6tables', table, chain: name });
          if (k !== 0) continue;
          if (table === 'raw' && r.parsed.target.kind === 'DROP' && byRule.get(r.ref)?.code === 'direct-access') directAccessDrops = true;
          if (table !== 'nat' || name !== DOCKER_CHAIN) continue;
          natDocker = true;
          const m = byRule.get(r.ref);
          if (m?.code === 'proxy-return') proxyMarks = true;
          if (m?.code === 'dnat') {
            dnat = true;
            if (r.parsed.matches.some((x) => x.kind === 'in' && x.neg)) proxyMarks = true;
          }
        }
      }
    }
  });
  for (const t of nft?.tables ?? []) {
    for (const c of t.chains.values()) {
      for (const r of c.rules) {
        sources.set(r.ref, () => nftMeaning(t.name, c.name, r.expr, r.comment, ctx));
        const id = netdiagIdOf(r.comment);
        if (id !== null) netdiagRules.push({ id, ruleset: 'nft', table: `${t.family} ${t.name}`, chain: c.name });
      }
    }
  }
  return { byRule, bridges: ctx.bridges, userlandProxy: !natDocker || proxyMarks || !dnat, directAccessDrops, netdiagRules };
}

/** The meaning of a rule the walk cites; null for a reference the model did not build (an unreadable rule's copy). */
export function meaningOf(m: HostMeanings, ref: RuleRef | null): RuleMeaning | null {
  return ref ? (m.byRule.get(ref) ?? null) : null;
}

/** A snapshot's rules parsed and given their meanings, for readers that need no walk (plans, doctor, the ledger). */
export interface SnapshotRules {
  ruleset: Ruleset | null;
  ruleset6: Ruleset | null;
  nft: NftRuleset | null;
  meanings: HostMeanings;
}

export function snapshotRules(s: HostSnapshot): SnapshotRules {
  const ruleset = s.firewall ? buildRuleset(s.name, s.firewall) : null;
  const ruleset6 = s.firewall?.tables6 ? buildRuleset(s.name, { ...s.firewall, tables: s.firewall.tables6 }) : null;
  const nft = s.nftables ? buildNftRuleset(s.name, s.nftables) : null;
  return { ruleset, ruleset6, nft, meanings: hostMeanings(s, [ruleset, ruleset6], nft) };
}

export function snapshotMeanings(s: HostSnapshot): HostMeanings {
  return snapshotRules(s).meanings;
}

/** Whether Docker 28+'s raw direct-access drops are on a host: its raw table alone is read (a plan asks it of every host). */
export function rawDirectAccessDrops(s: HostSnapshot): boolean {
  const raw = s.firewall?.tables.filter((t) => t.name === 'raw') ?? [];
  if (raw.length === 0 || !s.firewall) return false;
  // Without Docker's API, Docker's bridges are known only from its filter chains: read them all.
  if (!s.docker) return snapshotMeanings(s).directAccessDrops;
  return hostMeanings(s, [buildRuleset(s.name, { ...s.firewall, tables: raw })], null).directAccessDrops;
}
