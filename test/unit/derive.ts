// Snapshots derived in code from the captured ones (never hand-written JSON): the seed host with one thing changed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSnapshot } from '../../snapshot/host-snapshot.js';
import type { HostSnapshot } from '../../snapshot/host-snapshot.js';
import { parseNftJson } from '../../collectors/nft-json.js';
import { CAPTURED, REPO, mobyDir } from './fixtures.js';

const SEED_TEXT = readFileSync(join(REPO, 'examples/seed-host.json'), 'utf8');

/** A fresh copy of the seed host captured in the lab (alpine-01 on bridge; redis-1, redis-2 on net-redis). */
export function seedHost(name?: string): HostSnapshot {
  const s = parseSnapshot(JSON.parse(SEED_TEXT));
  return name ? { ...s, name } : s;
}

/** Rules put at the top of `chain` (created when absent), renumbered as iptables-save would. */
export function withRules(s: HostSnapshot, table: string, chain: string, rules: string[], chains: string[] = []): HostSnapshot {
  const t = s.firewall!.tables.find((x) => x.name === table)!;
  for (const name of [chain, ...chains]) if (!t.chains.some((c) => c.name === name)) t.chains.push({ name, policy: null, packets: 0, bytes: 0, rules: [] });
  const c = t.chains.find((x) => x.name === chain)!;
  c.rules = [...rules.map((text) => ({ index: 0, text, packets: 0, bytes: 0 })), ...c.rules].map((r, i) => ({ ...r, index: i + 1 }));
  return s;
}

/** Append rules to another chain (for chains of chains). */
export function appendRules(s: HostSnapshot, table: string, chain: string, rules: string[]): HostSnapshot {
  const c = s.firewall!.tables.find((x) => x.name === table)!.chains.find((x) => x.name === chain)!;
  c.rules = [...c.rules, ...rules.map((text) => ({ index: 0, text, packets: 0, bytes: 0 }))].map((r, i) => ({ ...r, index: i + 1 }));
  return s;
}

/** The bridge device of a network in a snapshot (br-<id> for user-defined networks). */
export function bridgeOf(s: HostSnapshot, network: string): string {
  return s.docker!.networks.find((n) => n.name === network)!.bridge!;
}

/**
 * The captured moby-topology docker host as on Docker 29's nftables backend: iptables emptied (policies ACCEPT) and
 * one of moby's generated docker-bridges tables loaded; bridge1 renamed when the scenario names its bridge otherwise.
 */
export function nftBackendHost(fixture: string, bridge = 'bridge1'): HostSnapshot {
  let text = readFileSync(join(CAPTURED, 'moby-topology/docker.json'), 'utf8');
  if (bridge !== 'bridge1') text = text.replaceAll('"bridge1"', JSON.stringify(bridge));
  const s = parseSnapshot(JSON.parse(text));
  for (const t of s.firewall!.tables) {
    for (const c of t.chains) {
      c.rules = [];
      if (c.policy) c.policy = 'ACCEPT';
    }
  }
  s.nftables = parseNftJson(readFileSync(join(mobyDir(), fixture), 'utf8'));
  return s;
}

/** A small deterministic PRNG (mulberry32), so a failing random case names a seed that reproduces it. */
export function rng(seedValue: number): () => number {
  let a = seedValue >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
