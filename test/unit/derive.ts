// Snapshots derived in code from the captured ones (never hand-written JSON): the seed host with one thing changed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSnapshot } from '../../snapshot/host-snapshot.js';
import type { HostSnapshot } from '../../snapshot/host-snapshot.js';
import { REPO } from './fixtures.js';

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
