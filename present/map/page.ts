// The map as one HTML page: the picture, the matrix as a grid, and a panel that shows the why trace and ranked fixes
// for a clicked edge or cell. Live (the agent's /ui: fetched from its own JSON routes, redrawn on refresh) or static
// (`netdiag map --format html`: everything embedded). No CDN, no framework: air-gapped hosts open it as is.
import type { Fix, MapTopology, MatrixPair, WhyAnswer } from '../../snapshot/contract.js';
import { stepLine } from '../trace-text.js';

export interface PageData {
  mode: 'live' | 'static';
  title: string;
  /** Static only: what the live page fetches. */
  svg?: string;
  topology?: MapTopology;
  matrix?: MatrixPair[];
  /** Static only: each edge's example pair, explained, with its fixes. */
  explained?: Record<string, { why: WhyAnswer; fixes: Fix[] }>;
  /** Live only: the agent has a token, so a supplied one can apply a fix. */
  applyEnabled?: boolean;
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
/** JSON inside <script>: `</script>` and `<!--` must not appear in it. */
const embed = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#263238;background:#fafafa}
header{padding:10px 16px;background:#263238;color:#fff;display:flex;gap:16px;align-items:center}
header h1{font-size:16px;margin:0}header .meta{opacity:.8;font-size:12px}
main{display:grid;grid-template-columns:minmax(0,3fr) minmax(320px,2fr);gap:12px;padding:12px}
section{background:#fff;border:1px solid #cfd8dc;border-radius:6px;padding:8px;overflow:auto}
#map svg{max-width:100%;height:auto}
#map g.edge{cursor:pointer}#map g.edge:hover path{stroke-width:4}
#detail pre{white-space:pre-wrap;font-size:12px;background:#f5f5f5;padding:6px;border-radius:4px}
.v-reachable{color:#2e7d32}.v-blocked{color:#c62828}.v-unknown{color:#757575}
table.grid{border-collapse:collapse;font-size:11px}table.grid td,table.grid th{border:1px solid #eceff1;padding:2px 4px}
table.grid td.cell{cursor:pointer;width:14px;height:14px}td.c-reachable{background:#a5d6a7}td.c-blocked{background:#ef9a9a}td.c-unknown{background:#cfd8dc}
table.grid th.col{writing-mode:vertical-rl;transform:rotate(180deg);font-weight:normal}
.fix{border-top:1px solid #eceff1;padding:6px 0}.fix code{display:block;font-size:11px;white-space:pre-wrap}
`;

/**
 * One step of a trace as a line, in the browser: the terminal's own function (present/trace-text.ts), its compiled
 * source embedded, so both say the same words from the step's typed fields.
 */
export const STEP_LINE = `const stepLine = ${stepLine.toString()};`;

// The page's own script: plain DOM, the same rendering for a live agent and an embedded snapshot.
const SCRIPT = `
const D = JSON.parse(document.getElementById('netdiag-data').textContent);
const $ = (id) => document.getElementById(id);
let topo = D.topology || null, token = null;
const txt = (s) => String(s == null ? '' : s).replace(/[&<>"]/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'})[c]);
${STEP_LINE}
function hops(title, list) {
  if (!list || !list.length) return '';
  return title + ':\\n' + list.map((h) => h.steps.map((s) => '  ' + h.node + ': ' + stepLine(s)).join('\\n')).join('\\n') + '\\n';
}
function renderWhy(w) {
  let out = '<h3>' + txt(w.from.name) + ' → ' + txt(w.to.name) + ': <span class="v-' + w.verdict + '">' + w.verdict + '</span></h3>';
  if (w.summary) out += '<p>' + txt(w.summary) + '</p>';
  for (const a of w.addresses) {
    out += '<h4>' + txt(a.ip) + (a.network ? ' on ' + txt(a.network) : '') + ': <span class="v-' + a.verdict + '">' + a.verdict + '</span></h4>';
    const d = a.decidedBy;
    let pre = d ? (a.verdict === 'reachable' ? 'let through by ' : 'decided by ') + d.host + ': ' + d.reason + (d.code ? ' [' + d.code + ']' : '') + '\\n' + (d.text ? '  ' + d.text + '\\n' : '') : '';
    pre += hops('request', a.request) + hops('reply', a.reply);
    out += '<pre>' + txt(pre) + '</pre>';
  }
  return out;
}
function renderFixes(from, to, fixes) {
  if (!fixes || !fixes.length) return '<p>No fix: the pair is not blocked by the network, or nothing netdiag knows of would open it.</p>';
  let out = '<h3>Ranked fixes</h3>';
  fixes.forEach((f, i) => {
    out += '<div class="fix"><b>' + (i + 1) + '. ' + txt(f.title) + '</b> [' + txt(f.id) + ']<code>' + f.commands.map((c) => '$ ' + txt(c)).join('\\n') + '</code>' +
      '<div>predicted: ' + txt(from) + ' → ' + txt(to) + ' <span class="v-' + f.predicted.forward + '">' + f.predicted.forward + '</span></div><div>' + txt(f.scope) + '</div><small>' + txt(f.note) + '</small>';
    if (D.mode === 'live' && D.applyEnabled && token && !f.discouraged && f.steps.every((s) => s.kind !== 'docker-daemon-config')) out += '<div><button data-fix="' + txt(f.id) + '">apply</button></div>';
    out += '</div>';
  });
  return out;
}
async function explain(from, to, edge) {
  const panel = $('detail');
  panel.innerHTML = '<p>asking…</p>';
  let w, fixes;
  if (D.mode === 'static') {
    const e = edge && D.explained[edge];
    if (!e) { panel.innerHTML = '<p>' + txt(from) + ' → ' + txt(to) + ': no trace embedded for this pair; run netdiag why ' + txt(from) + ' ' + txt(to) + '</p>'; return; }
    w = e.why; fixes = e.fixes;
  } else {
    const port = topo && topo.flow.port ? '&port=' + topo.flow.port + '/' + topo.flow.proto : '';
    const r = await fetch('/v1/why?from=' + encodeURIComponent(from) + '&to=' + encodeURIComponent(to) + port);
    w = await r.json();
    if (!r.ok) { panel.innerHTML = '<p>' + txt(w.message) + '</p>'; return; }
    fixes = w.fixes;
  }
  panel.innerHTML = renderWhy(w) + (w.verdict === 'blocked' ? renderFixes(from, to, fixes) : '');
  panel.querySelectorAll('button[data-fix]').forEach((b) => b.addEventListener('click', () => apply(b.dataset.fix, from, to)));
}
async function apply(id, from, to) {
  const r = await fetch('/v1/fixes/' + encodeURIComponent(id) + '/apply', { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token }, body: JSON.stringify({ from, to, acceptWider: true }) });
  const body = await r.json();
  $('detail').insertAdjacentHTML('afterbegin', '<p><b>' + txt(id) + ': ' + txt(body.status || body.message) + (body.verified ? ', verified by a live probe' : '') + '</b></p>');
}
function wireMap() {
  document.querySelectorAll('#map g.edge').forEach((g) => {
    const e = topo && topo.edges.find((x) => 'edge_' + x.id === g.id);
    if (!e) return;
    g.addEventListener('click', () => explain(e.example.from, e.example.to, e.id));
  });
}
function renderGrid(pairs) {
  const names = [...new Set(pairs.flatMap((p) => [p.from, p.to]))];
  const at = new Map(pairs.map((p) => [p.from + '\\u0000' + p.to, p]));
  let h = '<table class="grid"><tr><th></th>' + names.map((n) => '<th class="col">' + txt(n) + '</th>').join('') + '</tr>';
  for (const a of names) {
    h += '<tr><th>' + txt(a) + '</th>';
    for (const b of names) {
      const p = at.get(a + '\\u0000' + b);
      h += p ? '<td class="cell c-' + p.verdict + '" data-from="' + txt(a) + '" data-to="' + txt(b) + '" title="' + txt(a + ' → ' + b + ': ' + p.verdict) + '"></td>' : '<td></td>';
    }
    h += '</tr>';
  }
  $('matrix').innerHTML = h + '</table>';
  $('matrix').querySelectorAll('td.cell').forEach((td) => td.addEventListener('click', () => {
    const e = topo && topo.edges.find((x) => x.example.from === td.dataset.from && x.example.to === td.dataset.to);
    explain(td.dataset.from, td.dataset.to, e ? e.id : null);
  }));
}
async function load() {
  if (D.mode === 'static') { $('map').innerHTML = D.svg; wireMap(); renderGrid(D.matrix); return; }
  const [svg, t, m] = await Promise.all([fetch('/v1/map?format=svg').then((r) => r.text()), fetch('/v1/map?format=json').then((r) => r.json()), fetch('/v1/matrix').then((r) => r.json())]);
  topo = t;
  $('map').innerHTML = svg;
  $('meta').textContent = 'collected ' + t.collectedAt.join(', ');
  wireMap();
  renderGrid(m.pairs);
}
if (D.mode === 'live') {
  if (D.applyEnabled) {
    $('token').hidden = false;
    $('token').addEventListener('change', (ev) => { token = ev.target.value || null; });
  }
  // Follow the agent's refreshes: redraw when the snapshot behind the map changes.
  setInterval(async () => {
    try {
      const t = await fetch('/v1/map?format=json').then((r) => r.json());
      if (topo && t.collectedAt.join() !== topo.collectedAt.join()) await load();
    } catch (e) { /* the agent restarting: try again next tick */ }
  }, 5000);
}
load().then(() => document.body.dataset.ready = '1');
`;

export function mapPage(d: PageData): string {
  const data = { mode: d.mode, svg: d.svg ?? null, topology: d.topology ?? null, matrix: d.matrix ?? null, explained: d.explained ?? {}, applyEnabled: d.applyEnabled ?? false };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(d.title)}</title><style>${STYLE}</style></head>
<body><header><h1>${esc(d.title)}</h1><span class="meta" id="meta">${d.topology ? `collected ${esc(d.topology.collectedAt.join(', '))}` : ''}</span>
<input id="token" type="password" placeholder="token to apply fixes" hidden></header>
<main><section id="map" aria-label="map"></section><section id="detail" aria-label="details"><p>Click an edge between networks, or a cell of the matrix, for the trace and the fixes.</p></section>
<section id="matrix" aria-label="matrix" style="grid-column:1/3"></section></main>
<script type="application/json" id="netdiag-data">${embed(data)}</script>
<script>${SCRIPT}</script></body></html>
`;
}
