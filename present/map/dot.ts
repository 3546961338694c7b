// The map as Graphviz DOT: hosts and networks as clusters (names at the top), containers inside or folded into a count,
// and edges only where reality differs from Docker's default (stated once in the legend), each edge's label a node of
// its own on the edge's path: Graphviz never overlaps nodes, so labels neither stack nor float away from their edges.
import type { MapTopology } from '../../snapshot/contract.js';
import { flowText } from '../../rules/query/flow.js';
import { edgeLabel, legendLines, publishedLabel } from './legend.js';

export const COLOURS: Record<MapTopology['edges'][number]['share'], string> = { all: '#2e7d32', some: '#ef6c00', none: '#c62828', unknown: '#757575' };
/** Published ports: the host's addresses leading into a network. */
export const PUBLISHED = '#1565c0';

const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
/** Graphviz ids and SVG ids must be safe: network keys carry slashes and names any character Docker allows. */
export const nodeId = (kind: string, key: string) => `${kind}_${[...new TextEncoder().encode(key)].map((b) => b.toString(16).padStart(2, '0')).join('')}`;


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

type Net = MapTopology['hosts'][number]['networks'][number];

/** The node an edge to a network attaches to (clipped at the network's box by lhead/ltail). */
function anchor(t: MapTopology, n: Net): string {
  if (t.folded) return nodeId('count', n.id);
  const c = n.containers[0];
  return c ? nodeId('c', `${n.id}/${c.name}`) : nodeId('count', n.id);
}

function networkCluster(t: MapTopology, n: Net, indent: string, extra: string[], hosts?: string[]): string[] {
  const out: string[] = [];
  const blocked = n.inside.total > 0 && n.inside.share !== 'all';
  const title = [hosts ? `overlay ${n.name} (spans ${hosts.join(', ')})` : n.name, [n.bridge === n.name ? '' : (n.bridge ?? ''), n.subnets.join(' ')].filter(Boolean).join(' · '), n.flags.filter((f) => !(hosts && f === 'overlay')).join(', ')].filter(Boolean).join('\n');
  out.push(`${indent}subgraph ${q(`cluster_${nodeId('net', n.id)}`)} {`);
  out.push(`${indent}  id=${q(nodeId('net', n.id))}; class="network${hosts ? ' spanning' : ''}"; label=${q(title)}; labelloc=t; labeljust=l; fontsize=11; style="rounded,filled"; fillcolor=${q(hosts ? '#eef7ee' : '#f5f9ff')}; color=${q(blocked ? COLOURS[n.inside.share] : '#90a4ae')}; penwidth=${hosts ? 2 : 1};`);
  if (t.folded || n.containers.length === 0) out.push(`${indent}  ${q(nodeId('count', n.id))} [id=${q(nodeId('count', n.id))}, class="count", label=${q(n.count === 0 ? 'no containers' : `${n.count} container${n.count === 1 ? '' : 's'}`)}];`);
  else for (const c of n.containers) {
    const id = nodeId('c', `${n.id}/${c.name}`);
    out.push(`${indent}  ${q(id)} [id=${q(id)}, class="container", label=${q([c.name, ...c.addresses].join('\n'))}];`);
  }
  for (const l of extra) out.push(`${indent}  ${l}`);
  out.push(`${indent}}`);
  return out;
}

export function toDot(t: MapTopology): string {
  const nets = new Map<string, { n: Net; host: string | null }>();
  for (const h of t.hosts) for (const n of h.networks) nets.set(n.id, { n, host: h.name });
  for (const n of t.spanning) nets.set(n.id, { n, host: null });
  const anchorOf = (id: string) => {
    const x = nets.get(id);
    return x ? anchor(t, x.n) : nodeId('count', id);
  };
  /** Label nodes and the edges' halves, by where they go: a host's frame, a network's box, or the top level. */
  const inHost = new Map<string, string[]>();
  const inNet = new Map<string, string[]>();
  const top: string[] = [];
  const edgeLines: string[] = [];
  const hostNodes = new Set<string>();
  const place = (scope: { host?: string | null; net?: string }, line: string) => {
    if (scope.net) inNet.set(scope.net, [...(inNet.get(scope.net) ?? []), line]);
    else if (scope.host) inHost.set(scope.host, [...(inHost.get(scope.host) ?? []), line]);
    else top.push(line);
  };
  /** One labelled edge: tail → label node → head, the label a plaintext node on the edge's own path. */
  const labelled = (e: { id: string; cls: string; tail: string; head: string; ltail?: string; lhead?: string; colour: string; style: string; label: string; tooltip?: string; dir?: 'none'; arrowhead?: string; scope: { host?: string | null; net?: string } }) => {
    const lid = `label_${e.id}`;
    const tip = e.tooltip ? `, tooltip=${q(e.tooltip)}` : '';
    place(e.scope, `${q(lid)} [id=${q(lid)}, class=${q(`edge-label ${e.cls}`)}, fontcolor=${q(e.colour)}, label=${q(e.label)}, shape=plaintext, style="", fontsize=9, width=0, height=0, margin="0.04,0.02"${tip}];`);
    const common = `class=${q(e.cls)}, color=${q(e.colour)}, penwidth=2, style=${e.style}${tip}`;
    edgeLines.push(`  ${q(e.tail)} -> ${q(lid)} [id=${q(`edge_${e.id}`)}, ${common}, arrowhead=none${e.ltail ? `, ltail=${q(e.ltail)}` : ''}];`);
    edgeLines.push(`  ${q(lid)} -> ${q(e.head)} [id=${q(`edge_${e.id}_head`)}, ${common}${e.dir ? ', arrowhead=none' : e.arrowhead ? `, arrowhead=${e.arrowhead}` : ''}${e.lhead ? `, lhead=${q(e.lhead)}` : ''}];`);
  };
  const cluster = (id: string) => `cluster_${nodeId('net', id)}`;
  const sameHost = (a: string, b: string) => {
    const x = nets.get(a)?.host ?? null;
    return x !== null && x === (nets.get(b)?.host ?? null) ? x : null;
  };
  for (const e of t.edges) {
    const colour = COLOURS[e.share];
    const dashed = e.share === 'none' || e.share === 'unknown';
    const cls = `net-edge share-${e.share} kind-${e.kind}`;
    if (e.kind === 'block') {
      // A block inside a network: from its containers to a ⊣, inside its own box.
      const lid = `label_${e.id}`;
      place({ net: e.from }, `${q(lid)} [id=${q(lid)}, class=${q(`edge-label ${cls}`)}, fontcolor=${q(colour)}, label=${q(edgeLabel(e))}, shape=plaintext, style="", fontsize=9, width=0, height=0, margin="0.04,0.02"];`);
      place({ net: e.from }, `${q(anchorOf(e.from))} -> ${q(lid)} [id=${q(`edge_${e.id}`)}, class=${q(cls)}, color=${q(colour)}, penwidth=2, style=${dashed ? 'dashed' : 'solid'}, arrowhead=tee];`);
      continue;
    }
    labelled({ id: e.id, cls, tail: anchorOf(e.from), head: anchorOf(e.to), ltail: cluster(e.from), lhead: cluster(e.to), colour, style: dashed ? 'dashed' : 'solid', label: edgeLabel(e), scope: { host: sameHost(e.from, e.to) } });
  }
  t.published.forEach((p, i) => {
    hostNodes.add(p.host);
    const on = nets.get(p.network)?.host ?? null;
    labelled({ id: `p${i}`, cls: 'published', tail: nodeId('hostnode', p.host), head: anchorOf(p.network), lhead: cluster(p.network), colour: PUBLISHED, style: 'solid', label: publishedLabel(p), tooltip: p.ports.join('\n'), scope: { host: on === p.host ? on : null } });
  });
  // Overlapping subnets: a red dotted line between the networks, no arrow (neither reaches the other's holders).
  overlapLinks(t).forEach(({ o, a, b }, i) => {
    labelled({ id: `o${i}`, cls: 'overlap', tail: anchorOf(a), head: anchorOf(b), ltail: cluster(a), lhead: cluster(b), colour: COLOURS.none, style: 'dotted', dir: 'none', label: `overlap ${o.subnet}`, tooltip: `${o.networks.join(', ')} all use ${o.subnet}: each host delivers these addresses into its own bridge`, scope: { host: sameHost(a, b) } });
  });
  // A network colliding with a LAN/VPN prefix: dotted to the host whose prefix it is, red when it shadows something in view.
  collisionLinks(t).forEach(({ o, network, host }, i) => {
    hostNodes.add(host);
    labelled({ id: `x${i}`, cls: 'overlap collision', tail: anchorOf(network), head: nodeId('hostnode', host), ltail: cluster(network), colour: o.collidesWith.shadows ? COLOURS.none : COLOURS.some, style: 'dotted', dir: 'none', label: collisionLabel(o), tooltip: collisionTooltip(o), scope: { host: nets.get(network)?.host === host ? host : null } });
  });
  t.routes.forEach((r, i) => {
    hostNodes.add(r.from);
    labelled({ id: `r${i}`, cls: 'route', tail: nodeId('hostnode', r.from), head: anchorOf(r.to), lhead: cluster(r.to), colour: '#37474f', style: 'bold', label: `route ${r.dst} via ${r.via}`, scope: {} });
  });
  for (const h of t.hosts) if (h.bridgedPorts.length > 0) hostNodes.add(h.name);

  const out: string[] = [];
  out.push('digraph netdiag {');
  out.push('  graph [compound=true, rankdir=LR, fontname="Helvetica", fontsize=11, nodesep=0.25, ranksep=0.6, labelloc=t, labeljust=l];');
  out.push('  node [fontname="Helvetica", fontsize=10, shape=box, style="rounded,filled", fillcolor="#ffffff"];');
  out.push('  edge [fontname="Helvetica", fontsize=9];');
  out.push(`  label=${q(`netdiag map — ${flowText(t.flow)}`)};`);
  out.push(`  "legend" [id="legend", class="legend", shape=note, style="filled", fillcolor="#fffde7", fontsize=9, label=${q(`${legendLines(t).join('\\l')}\\l`).replace(/\\\\l/g, '\\l')}];`);
  for (const h of t.hosts) {
    out.push(`  subgraph ${q(`cluster_${nodeId('host', h.name)}`)} {`);
    out.push(`    id=${q(nodeId('host', h.name))}; class="host"; label=${q(`host ${h.name}`)}; labelloc=t; labeljust=l; style="rounded"; color="#455a64"; penwidth=2;`);
    if (hostNodes.has(h.name)) {
      const lines = [`host ${h.name}`, ...h.bridgedPorts.map((b) => `${b.port} bridged into ${b.bridge}`)];
      out.push(`    ${q(nodeId('hostnode', h.name))} [id=${q(nodeId('hostnode', h.name))}, class="hostnode", label=${q(lines.join('\n'))}, shape=box, style="filled", fillcolor="#eceff1"];`);
    }
    for (const n of h.networks) out.push(...networkCluster(t, n, '    ', inNet.get(n.id) ?? []));
    for (const l of inHost.get(h.name) ?? []) out.push(`    ${l}`);
    out.push('  }');
  }
  for (const n of t.spanning) out.push(...networkCluster(t, n, '  ', inNet.get(n.id) ?? [], n.hosts));
  for (const l of top) out.push(`  ${l}`);
  out.push(...edgeLines);
  if (!t.folded) {
    for (const j of t.joined) {
      const [first, ...rest] = j.networks;
      const at = (net: string) => {
        const n = nets.get(net)?.n;
        const c = n?.containers.find((x) => x.name === j.container || x.name === j.container.slice(j.container.indexOf('/') + 1));
        return c ? nodeId('c', `${net}/${c.name}`) : null;
      };
      for (const other of rest) {
        const a = at(first as string);
        const b = at(other);
        if (a && b) out.push(`  ${q(a)} -> ${q(b)} [class="joined", style=dotted, arrowhead=none, color="#607d8b", constraint=false, tooltip=${q(`${j.container} is on both networks`)}];`);
      }
    }
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}
