// The map's legend, the same lines in every format: Docker's default stated once (not drawn), then what is drawn.
import type { MapTopology } from '../../snapshot/contract.js';

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The edge's label: its reason code, then how many container pairs reach of all (`isolation 0/12`, `admin-rule 12/12`). */
export function edgeLabel(e: MapTopology['edges'][number]): string {
  const count = `${e.reachable}/${e.total}`;
  if (e.kind === 'block') return `${e.code ?? 'blocked'} ${count} reach inside`;
  if (e.share === 'all') return `${e.via ?? 'open'} ${count}`;
  if (e.share === 'some') return `${e.via ?? 'open'} ${count}, rest ${e.code ?? 'blocked'}`;
  return `${e.code ?? 'unknown'} ${count}`;
}

/** A published ports edge's label: the port itself, or how many and the first one. */
export function publishedLabel(p: MapTopology['published'][number]): string {
  return p.ports.length === 1 ? `published ${p.ports[0]}` : `published ×${p.ports.length}: ${p.ports[0]} …`;
}

export function legendLines(t: MapTopology): string[] {
  return [
    "Docker's default, not drawn: networks are isolated from each other; a network's containers reach each other.",
    `Matching it here: ${plural(t.defaults.isolatedPairs, 'network pair')} isolated, ${plural(t.defaults.openNetworks, 'network')} open inside.`,
    'Drawn, only where reality differs, each labelled "reason-code reachable/pairs":',
    '  green solid: every pair reaches across networks (or hosts); amber: some do',
    '  red ⊣ inside a network: pairs blocked there (icc off, a rule); grey: unknown',
    '  blue: a published port; red dotted: overlapping subnets; dotted grey: one container on two networks',
    `${t.spanning.length > 0 ? 'A swarm overlay on several hosts is one box spanning them. ' : ''}${t.folded ? 'Containers folded into a count per network (--containers shows them).' : ''}`.trim(),
  ].filter(Boolean);
}
