// The map as a Mermaid flowchart (renders in GitHub and GitLab markdown): hosts and networks as subgraphs, edges
// between networks with their share and reason, blocked ones dotted and red.
import type { MapTopology } from '../../snapshot/contract.js';
import { COLOURS, collisionLabel, collisionLinks, nodeId, overlapLinks } from './dot.js';

const text = (s: string) => `"${s.replace(/"/g, '#quot;')}"`;

export function toMermaid(t: MapTopology): string {
  const out: string[] = ['flowchart LR'];
  for (const h of t.hosts) {
    out.push(`  subgraph ${nodeId('host', h.name)}[${text(`host ${h.name}`)}]`);
    if (h.published.length > 0 || h.bridgedPorts.length > 0) out.push(`    ${nodeId('hostnode', h.name)}[${text([...h.published.map((p) => `published ${p}`), ...h.bridgedPorts.map((b) => `${b.port} bridged into ${b.bridge}`)].join('<br/>'))}]`);
    for (const n of h.networks) {
      out.push(`    subgraph ${nodeId('net', n.id)}[${text([n.name, n.bridge ?? '', n.subnets.join(' '), n.flags.join(', ')].filter(Boolean).join(' · '))}]`);
      if (t.folded || n.containers.length === 0) out.push(`      ${nodeId('count', n.id)}[${text(`${n.count} containers`)}]`);
      for (const c of n.containers) out.push(`      ${nodeId('c', `${n.id}/${c.name}`)}[${text([c.name, ...c.addresses].join('<br/>'))}]`);
      out.push('    end');
    }
    out.push('  end');
  }
  const styles: string[] = [];
  t.edges.forEach((e, i) => {
    const label = `${e.reachable}/${e.total}${e.code ? ` ${e.code}` : ''}`;
    out.push(`  ${nodeId('net', e.from)} ${e.share === 'none' || e.share === 'unknown' ? '-.->' : '-->'}|${text(label)}| ${nodeId('net', e.to)}`);
    styles.push(`  linkStyle ${i} stroke:${COLOURS[e.share]},stroke-width:2px`);
  });
  // Overlapping subnets: dotted red, no arrow, after the edges so linkStyle's numbering stays theirs.
  let n = t.edges.length;
  for (const { o, a, b } of overlapLinks(t)) {
    out.push(`  ${nodeId('net', a)} -.-|${text(`overlap ${o.subnet}`)}| ${nodeId('net', b)}`);
    styles.push(`  linkStyle ${n++} stroke:${COLOURS.none},stroke-width:2px`);
  }
  // Collisions with a LAN/VPN prefix: dotted to the host's subgraph, red when they shadow something in view.
  for (const { o, network, host } of collisionLinks(t)) {
    out.push(`  ${nodeId('net', network)} -.-|${text(collisionLabel(o))}| ${nodeId('host', host)}`);
    styles.push(`  linkStyle ${n++} stroke:${o.collidesWith.shadows ? COLOURS.none : COLOURS.some},stroke-width:2px`);
  }
  return `${[...out, ...styles].join('\n')}\n`;
}
