// The map as Graphviz DOT: hosts and networks as clusters, containers inside, edges between networks coloured by how
// many container pairs reach (all, some, none), labelled with what decides, dashed when nothing gets through.
import type { MapTopology } from '../../snapshot/contract.js';
import { flowText } from '../../rules/query/flow.js';

export const COLOURS: Record<MapTopology['edges'][number]['share'], string> = { all: '#2e7d32', some: '#ef6c00', none: '#c62828', unknown: '#757575' };

const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
/** Graphviz ids and SVG ids must be safe: network keys carry slashes and names any character Docker allows. */
export const nodeId = (kind: string, key: string) => `${kind}_${[...new TextEncoder().encode(key)].map((b) => b.toString(16).padStart(2, '0')).join('')}`;

function edgeLabel(e: MapTopology['edges'][number]): string {
  const count = `${e.reachable}/${e.total}`;
  return e.code ? `${count} ${e.code}` : count;
}

/** The lines that mark overlapping subnets: each network of an overlap joined to the next (a chain, not every pair). */
export function overlapLinks(t: MapTopology): { o: MapTopology['overlaps'][number]; a: string; b: string }[] {
  return t.overlaps.flatMap((o) => o.networks.slice(1).map((b, i) => ({ o, a: o.networks[i] as string, b })));
}

type Overlap = MapTopology['overlaps'][number];

/** The networks colliding with a LAN/VPN prefix: each drawn to the host whose prefix it is. */
export function collisionLinks(t: MapTopology): { o: Overlap & { collidesWith: NonNullable<Overlap['collidesWith']> }; network: string; host: string }[] {
  return t.overlaps.flatMap((o) => (o.collidesWith && o.networks[0] ? [{ o: o as Overlap & { collidesWith: NonNullable<Overlap['collidesWith']> }, network: o.networks[0], host: o.collidesWith.host }] : []));
}

/** What a network collides with, for a label: `collides with LAN 10.77.0.0/24 on eth0`, `… route 10.99.0.0/16 via 10.77.0.12`. */
export function collisionLabel(o: Overlap & { collidesWith: NonNullable<Overlap['collidesWith']> }): string {
  const w = o.collidesWith;
  const what = w.kind === 'on-link' ? `LAN ${w.prefix}${w.iface ? ` on ${w.iface}` : ''}` : w.kind === 'route' ? `route ${w.route ?? w.prefix}` : w.kind === 'address' ? `own address ${w.prefix}` : `${w.host}'s network ${w.prefix}${w.iface ? ` on ${w.iface}` : ''}`;
  return `collides with ${what}`;
}

/** The sentence a collision's tooltip says: what both claim, and whether it shadows anything in view. */
export function collisionTooltip(o: Overlap & { collidesWith: NonNullable<Overlap['collidesWith']> }): string {
  return `${o.networks[0]} and ${o.collidesWith.host}'s ${o.collidesWith.prefix} both claim ${o.subnet}: one route shadows the other there${o.collidesWith.shadows ? ', and something in view sits in it' : ' (nothing in view sits in it)'}`;
}

export function toDot(t: MapTopology): string {
  const out: string[] = [];
  out.push('digraph netdiag {');
  out.push('  graph [compound=true, rankdir=LR, fontname="Helvetica", fontsize=11, nodesep=0.3, ranksep=1.1];');
  out.push('  node [fontname="Helvetica", fontsize=10, shape=box, style="rounded,filled", fillcolor="#ffffff"];');
  out.push('  edge [fontname="Helvetica", fontsize=9];');
  out.push(`  label=${q(`netdiag map — ${flowText(t.flow)}${t.folded ? ' (containers folded into counts)' : ''}`)}; labelloc=t;`);
  for (const h of t.hosts) {
    out.push(`  subgraph ${q(`cluster_${nodeId('host', h.name)}`)} {`);
    out.push(`    id=${q(nodeId('host', h.name))}; class="host"; label=${q(`host ${h.name}`)}; style="rounded"; color="#455a64"; penwidth=2;`);
    const hostLines = [`host ${h.name}`, ...h.published.map((p) => `published ${p}`), ...h.bridgedPorts.map((b) => `${b.port} bridged into ${b.bridge}`)];
    out.push(`    ${q(nodeId('hostnode', h.name))} [id=${q(nodeId('hostnode', h.name))}, class="hostnode", label=${q(hostLines.join('\n'))}, shape=box, style="filled", fillcolor="#eceff1"];`);
    for (const n of h.networks) {
      const inside = n.inside.total > 0 && n.inside.share !== 'all' ? `inside: ${n.inside.reachable}/${n.inside.total} reach` : '';
      const head = [n.name, n.bridge ?? '', n.subnets.join(' '), n.flags.join(', '), inside].filter(Boolean).join('\n');
      out.push(`    subgraph ${q(`cluster_${nodeId('net', n.id)}`)} {`);
      out.push(`      id=${q(nodeId('netbox', n.id))}; class="network"; label=""; style="rounded,filled"; fillcolor="#f5f9ff"; color=${q(n.inside.total > 0 && n.inside.share !== 'all' ? COLOURS[n.inside.share] : '#90a4ae')};`);
      out.push(`      ${q(nodeId('net', n.id))} [id=${q(nodeId('net', n.id))}, class="network-head", label=${q(head)}, shape=plaintext, style="", fontsize=11];`);
      if (t.folded) out.push(`      ${q(nodeId('count', n.id))} [id=${q(nodeId('count', n.id))}, class="count", label=${q(`${n.count} container${n.count === 1 ? '' : 's'}`)}];`);
      for (const c of n.containers) {
        const id = nodeId('c', `${n.id}/${c.name}`);
        out.push(`      ${q(id)} [id=${q(id)}, class="container", label=${q([c.name, ...c.addresses].join('\n'))}];`);
      }
      out.push('    }');
    }
    out.push('  }');
  }
  for (const e of t.edges) {
    const dashed = e.share === 'none' || e.share === 'unknown';
    out.push(`  ${q(nodeId('net', e.from))} -> ${q(nodeId('net', e.to))} [id=${q(`edge_${e.id}`)}, class=${q(`net-edge share-${e.share}`)}, color=${q(COLOURS[e.share])}, fontcolor=${q(COLOURS[e.share])}, penwidth=2, style=${dashed ? 'dashed' : 'solid'}, label=${q(edgeLabel(e))}, ltail=${q(`cluster_${nodeId('net', e.from)}`)}, lhead=${q(`cluster_${nodeId('net', e.to)}`)}];`);
  }
  for (const j of t.joined) {
    const [first, ...rest] = j.networks;
    const name = j.container.slice(j.container.indexOf('/') + 1);
    for (const other of rest) {
      out.push(`  ${q(nodeId('c', `${first}/${name}`))} -> ${q(nodeId('c', `${other}/${name}`))} [class="joined", style=dotted, arrowhead=none, color="#607d8b", constraint=false, tooltip=${q(`${j.container} is on both networks`)}];`);
    }
  }
  // Overlapping subnets: a red dotted line between the networks, no arrow (neither reaches the other's holders).
  for (const { o, a, b } of overlapLinks(t)) {
    out.push(`  ${q(nodeId('net', a))} -> ${q(nodeId('net', b))} [class="overlap", dir=none, style=dotted, penwidth=2, color="${COLOURS.none}", fontcolor="${COLOURS.none}", constraint=false, label=${q(`overlap ${o.subnet}`)}, tooltip=${q(`${o.networks.join(', ')} all use ${o.subnet}: each host delivers these addresses into its own bridge`)}, ltail=${q(`cluster_${nodeId('net', a)}`)}, lhead=${q(`cluster_${nodeId('net', b)}`)}];`);
  }
  // A network colliding with a LAN/VPN prefix: dotted to the host whose prefix it is, red when it shadows something in view.
  for (const { o, network, host } of collisionLinks(t)) {
    const colour = o.collidesWith.shadows ? COLOURS.none : COLOURS.some;
    out.push(`  ${q(nodeId('net', network))} -> ${q(nodeId('hostnode', host))} [class="overlap collision", dir=none, style=dotted, penwidth=2, color="${colour}", fontcolor="${colour}", constraint=false, label=${q(collisionLabel(o))}, tooltip=${q(collisionTooltip(o))}, ltail=${q(`cluster_${nodeId('net', network)}`)}];`);
  }
  for (const r of t.routes) {
    out.push(`  ${q(nodeId('hostnode', r.from))} -> ${q(nodeId('net', r.to))} [class="route", color="#37474f", style=bold, label=${q(`route ${r.dst} via ${r.via}`)}, lhead=${q(`cluster_${nodeId('net', r.to)}`)}];`);
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}
