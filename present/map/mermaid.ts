// The map as a Mermaid flowchart (renders in GitHub and GitLab markdown): hosts and networks as subgraphs (titles at
// the top), the legend as a note, and edges only where reality differs from Docker's default, each with its reason.
import type { MapTopology } from '../../snapshot/contract.js';
import { COLOURS, PUBLISHED, collisionLabel, collisionLinks, nodeId, overlapLinks } from './dot.js';
import { edgeLabel, legendLines, publishedLabel } from './legend.js';

const text = (s: string) => `"${s.replace(/"/g, '#quot;')}"`;
type Net = MapTopology['hosts'][number]['networks'][number];

function network(t: MapTopology, n: Net, indent: string, hosts?: string[]): string[] {
  const out = [`${indent}subgraph ${nodeId('net', n.id)}[${text([hosts ? `overlay ${n.name} (spans ${hosts.join(', ')})` : n.name, n.bridge ?? '', n.subnets.join(' '), n.flags.join(', ')].filter(Boolean).join(' · '))}]`];
  if (t.folded || n.containers.length === 0) out.push(`${indent}  ${nodeId('count', n.id)}[${text(`${n.count} containers`)}]`);
  else for (const c of n.containers) out.push(`${indent}  ${nodeId('c', `${n.id}/${c.name}`)}[${text([c.name, ...c.addresses].join('<br/>'))}]`);
  out.push(`${indent}end`);
  return out;
}

export function toMermaid(t: MapTopology): string {
  const out: string[] = ['flowchart LR'];
  out.push(`  legend>${text(legendLines(t).join('<br/>'))}]`);
  const hostNode = new Set([...t.published.map((p) => p.host), ...collisionLinks(t).map((c) => c.host)]);
  for (const h of t.hosts) {
    out.push(`  subgraph ${nodeId('host', h.name)}[${text(`host ${h.name}`)}]`);
    if (hostNode.has(h.name) || h.bridgedPorts.length > 0) out.push(`    ${nodeId('hostnode', h.name)}[${text([`host ${h.name}`, ...h.bridgedPorts.map((b) => `${b.port} bridged into ${b.bridge}`)].join('<br/>'))}]`);
    for (const n of h.networks) out.push(...network(t, n, '    '));
    out.push('  end');
  }
  for (const n of t.spanning) out.push(...network(t, n, '  ', n.hosts));
  const styles: string[] = [];
  let i = 0;
  const link = (line: string, colour: string) => {
    out.push(line);
    styles.push(`  linkStyle ${i++} stroke:${colour},stroke-width:2px`);
  };
  for (const e of t.edges) {
    const dotted = e.share === 'none' || e.share === 'unknown';
    // A block inside a network: the network's subgraph to itself.
    link(`  ${nodeId('net', e.from)} ${dotted ? '-.->' : '-->'}|${text(edgeLabel(e))}| ${nodeId('net', e.to)}`, COLOURS[e.share]);
  }
  for (const p of t.published) link(`  ${nodeId('hostnode', p.host)} -->|${text(publishedLabel(p))}| ${nodeId('net', p.network)}`, PUBLISHED);
  // Overlapping subnets: dotted red, no arrow.
  for (const { o, a, b } of overlapLinks(t)) link(`  ${nodeId('net', a)} -.-|${text(`overlap ${o.subnet}`)}| ${nodeId('net', b)}`, COLOURS.none);
  // Collisions with a LAN/VPN prefix: dotted to the host's subgraph, red when they shadow something in view.
  for (const { o, network, host } of collisionLinks(t)) link(`  ${nodeId('net', network)} -.-|${text(collisionLabel(o))}| ${nodeId('host', host)}`, o.collidesWith.shadows ? COLOURS.none : COLOURS.some);
  for (const r of t.routes) link(`  ${nodeId('host', r.from)} -->|${text(`route ${r.dst} via ${r.via}`)}| ${nodeId('net', r.to)}`, '#37474f');
  return `${[...out, ...styles].join('\n')}\n`;
}
