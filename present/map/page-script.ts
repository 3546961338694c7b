// The web view's main script (plain DOM, in the browser): status and freshness, the port selector, the network grid
// and its cells' container pairs, search, keyboard, and the URL that follows what is open. Live pages ask the agent
// on demand; the static page (`map --format html`) reads what is embedded.
export const PAGE_SCRIPT = `
const D = JSON.parse(document.getElementById('netdiag-data').textContent);
const $ = (id) => document.getElementById(id);
const txt = (s) => String(s == null ? '' : s).replace(/[&<>"]/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'})[c]);
const live = D.mode === 'live';
// The token lives only in this variable: never in storage, cookies or the URL.
let token = null;
const S = { q: '', port: '', topo: D.topology, grid: null, local: null, status: null, readOnly: !D.applyEnabled, open: null, at: [0, 0], svgFor: null };
const portQ = () => (S.port ? '&port=' + encodeURIComponent(S.port) : '');
// A route with only the port asked: the agent's query schemas are strict, so nothing else rides along.
const withPort = (path) => path + (S.port ? '?port=' + encodeURIComponent(S.port) : '');
async function getJson(url) {
  const r = await fetch(url);
  let body = null;
  try { body = await r.json(); } catch (e) { /* not JSON: an old agent or a proxy page */ }
  return { ok: r.ok, status: r.status, body };
}

// ---------- the grid, from the agent (/v1/grid) or, for the static page and older agents, from a topology and a matrix
const member = (name) => name.includes('/') ? [name, name.slice(name.indexOf('/') + 1)] : [name];
function localGrid(topo, pairs) {
  const networks = [], of = new Map(), cells = new Map();
  for (const h of topo.hosts) for (const n of h.networks) {
    networks.push({ key: n.id, host: h.name, network: n.name, driver: '', subnets: n.subnets, containers: n.count || n.containers.length, members: n.containers });
    for (const c of n.containers) for (const k of [c.name, h.name + '/' + c.name]) { if (!of.has(k)) of.set(k, []); of.get(k).push(n.id); }
  }
  const keysOf = (name) => [...new Set(member(name).flatMap((k) => of.get(k) || []))];
  for (const p of pairs || []) {
    if (p.verdict === 'no-address') continue;
    for (const a of keysOf(p.from)) for (const b of keysOf(p.to)) {
      const id = a + '\\u0000' + b;
      if (!cells.has(id)) cells.set(id, { from: a, to: b, pairs: 0, reachable: 0, blocked: 0, unknown: 0, verdict: 'unknown', codes: [], list: [] });
      const c = cells.get(id);
      c.pairs++; c[p.verdict] = (c[p.verdict] || 0) + 1; c.list.push(p);
    }
  }
  for (const c of cells.values()) {
    c.verdict = c.reachable === c.pairs ? 'reachable' : c.blocked === c.pairs ? 'blocked' : c.unknown === c.pairs ? 'unknown' : 'mixed';
    const e = (topo.edges || []).find((x) => x.from === c.from && x.to === c.to);
    // No edge between two networks means the map found Docker's default there: isolated from each other.
    c.codes = e && e.code ? [e.code] : c.verdict === 'blocked' && c.from !== c.to ? ['isolation'] : [];
  }
  return { flow: topo.flow, networks, cells: [...cells.values()] };
}
async function loadGrid() {
  if (!live) { S.grid = S.local = localGrid(D.topology, D.matrix); return; }
  const g = await getJson(withPort('/v1/grid'));
  if (g.ok) { S.grid = g.body; S.local = null; return; }
  if (g.status !== 404) throw new Error((g.body && g.body.message) || 'the agent answered ' + g.status);
  // An agent without /v1/grid: the same grid from its map and matrix.
  const [t, m] = await Promise.all([getJson('/v1/map?format=json' + portQ()), getJson(withPort('/v1/matrix'))]);
  S.grid = S.local = localGrid(t.body, m.body.pairs);
}
function netLabel(n) { return (S.grid.networks.length && new Set(S.grid.networks.map((x) => x.host)).size > 1 ? n.host + '/' : '') + n.network; }
function netMatches(n, q) {
  if (!q) return true;
  const hay = [n.key, n.host, n.network, n.driver, ...(n.subnets || [])];
  for (const c of n.members || containersOf(n.key)) hay.push(c.name, ...(c.addresses || []));
  return hay.some((s) => String(s || '').toLowerCase().includes(q)) || (n.subnets || []).some((s) => inSubnet(q, s));
}
function containersOf(key) {
  if (!S.topo) return [];
  for (const h of S.topo.hosts) for (const n of h.networks) if (n.id === key || h.name + '/' + n.name === key) return n.containers;
  return [];
}
// An address typed in the box finds the network whose subnet holds it (IPv4; IPv6 by prefix text above).
function inSubnet(q, cidr) {
  const m = /^(\\d+)\\.(\\d+)\\.(\\d+)\\.(\\d+)$/.exec(q), c = /^(\\d+)\\.(\\d+)\\.(\\d+)\\.(\\d+)\\/(\\d+)$/.exec(cidr);
  if (!m || !c) return false;
  const n = (a) => ((+a[1] << 24) >>> 0) + (+a[2] << 16) + (+a[3] << 8) + +a[4];
  const bits = +c[5], mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return ((n(m) & mask) >>> 0) === ((n(c) & mask) >>> 0);
}
// Docker's default, stated once in the legend and drawn pale: containers of a network reach each other, networks of a
// host are isolated from each other. Everything else is an exception, drawn bright.
function isDefault(cell, a, b) {
  if (!cell) return true;
  if (a.key === b.key) return cell.verdict === 'reachable';
  return a.host === b.host && cell.verdict === 'blocked' && cell.codes.length === 1 && cell.codes[0] === 'isolation';
}
function cellOf(a, b) { return S.grid.cells.find((c) => c.from === a && c.to === b) || null; }
// Networks without containers (Docker's host and none, an unused network) have no pairs: left out of the grid.
const peopled = () => S.grid.networks.filter((n) => n.containers > 0);
function visibleNets() {
  const q = S.q.toLowerCase();
  return peopled().filter((n) => netMatches(n, q));
}
function renderGrid() {
  const nets = visibleNets(), q = S.q.toLowerCase();
  const empty = S.grid.networks.length - peopled().length;
  $('grid-count').textContent = peopled().length + ' networks' + (empty ? ' (' + empty + ' without containers not shown)' : '') + (q ? ', ' + nets.length + ' matching' : '') + ' · ' + (S.grid.flow && S.grid.flow.port ? S.grid.flow.port + '/' + S.grid.flow.proto : 'ping');
  if (!nets.length) { $('grid').innerHTML = '<p class="muted">Nothing matches ' + txt(S.q) + '. Esc clears the search.</p>'; return; }
  const compact = nets.length > 16;
  let exceptions = 0;
  let h = '<table class="grid' + (compact ? ' compact' : '') + '" role="grid" aria-label="networks: row reaches column"><tr><th>from \\\\ to</th>' + nets.map((n) => '<th class="col' + (q ? ' hit' : '') + '">' + txt(netLabel(n)) + '</th>').join('') + '</tr>';
  nets.forEach((a, r) => {
    h += '<tr><th class="row' + (q ? ' hit' : '') + '" title="' + txt((a.subnets || []).join(', ')) + '">' + txt(netLabel(a)) + '</th>';
    nets.forEach((b, c) => {
      const cell = cellOf(a.key, b.key);
      const v = cell ? cell.verdict : 'none';
      const label = cell && !compact ? cell.reachable + '/' + cell.pairs : '';
      const usual = isDefault(cell, a, b);
      if (!usual) exceptions++;
      const tip = netLabel(a) + ' → ' + netLabel(b) + ': ' + (cell ? cell.reachable + ' of ' + cell.pairs + ' container pairs reach' + (cell.codes && cell.codes.length ? ' (' + cell.codes.join(', ') + ')' : '') : 'no container pairs');
      h += '<td class="cell c-' + v + (usual ? ' default' : ' exception') + '" role="gridcell" tabindex="-1" data-r="' + r + '" data-c="' + c + '" data-from="' + txt(a.key) + '" data-to="' + txt(b.key) + '" title="' + txt(tip) + '" aria-label="' + txt(tip) + '">' + label + '</td>';
    });
    h += '</tr>';
  });
  $('grid').innerHTML = '<p class="legend muted">Pale: Docker’s default (containers of a network reach each other, networks are isolated from each other). Bright: <b class="exceptions">' + exceptions + '</b> exception' + (exceptions === 1 ? '' : 's') + ' to it. A cell: how many container pairs of row reach column.</p>' + h + '</table>';
  S.at = [Math.min(S.at[0], nets.length - 1), Math.min(S.at[1], nets.length - 1)];
  const cur = gridCell(S.at[0], S.at[1]);
  if (cur) cur.tabIndex = 0;
  if (S.open && S.open.cell) { const o = $('grid').querySelector('td.cell[data-from="' + CSS.escape(S.open.cell[0]) + '"][data-to="' + CSS.escape(S.open.cell[1]) + '"]'); if (o) o.classList.add('open'); }
}
const gridCell = (r, c) => $('grid').querySelector('td.cell[data-r="' + r + '"][data-c="' + c + '"]');
function focusCell(r, c) {
  const n = visibleNets().length;
  if (!n) return;
  r = Math.max(0, Math.min(n - 1, r)); c = Math.max(0, Math.min(n - 1, c));
  $('grid').querySelectorAll('td.cell[tabindex="0"]').forEach((td) => (td.tabIndex = -1));
  S.at = [r, c];
  const td = gridCell(r, c);
  if (td) { td.tabIndex = 0; td.focus(); }
}

// ---------- search over the map: highlight what matches, dim the rest
function filterMap() {
  const q = S.q.toLowerCase();
  document.querySelectorAll('#map svg g.node, #map svg g.cluster, #map svg g.edge').forEach((g) => {
    const hit = q && (g.textContent || '').toLowerCase().includes(q);
    g.classList.toggle('hit', !!hit);
    g.classList.toggle('dim', !!q && !hit && !g.classList.contains('cluster'));
  });
}
// A folded map lists no containers: for a search, each host's containers are read once per snapshot from the
// agent's /v1/snapshot (names and addresses per network), so a container name still finds its networks at any size.
let membersFor = null;
async function loadMembers() {
  const key = lastCollected;
  if (!live || !S.topo || !S.topo.folded || membersFor === key || !S.status) return;
  membersFor = key;
  const by = new Map();
  for (const h of S.status.hosts) {
    const r = await getJson('/v1/snapshot?host=' + encodeURIComponent(h.name));
    if (!r.ok || !r.body.docker) continue;
    for (const c of r.body.docker.containers) for (const e of c.endpoints) {
      const k = h.name + '/' + e.network;
      if (!by.has(k)) by.set(k, []);
      by.get(k).push({ name: c.name, addresses: [e.ip, e.ipv6].filter(Boolean) });
    }
  }
  for (const n of S.grid.networks) if (by.has(n.key)) n.members = by.get(n.key);
  if (S.q) { renderGrid(); filterMap(); }
}
function search(q) {
  S.q = q.trim();
  if (S.q) loadMembers();
  if ($('q').value !== q) $('q').value = q;
  renderGrid(); filterMap(); syncUrl();
  if (S.open && S.open.kind === 'cell') openCell(S.open.cell[0], S.open.cell[1], { keep: true });
}

// ---------- a cell's container pairs
async function openCell(a, b, opt) {
  S.open = { kind: 'cell', cell: [a, b] };
  syncUrl(); renderGrid();
  const na = S.grid.networks.find((n) => n.key === a), nb = S.grid.networks.find((n) => n.key === b);
  const head = '<h2>' + txt(na ? netLabel(na) : a) + ' → ' + txt(nb ? netLabel(nb) : b) + '</h2>';
  let pairs;
  if (S.local) { const c = cellOf(a, b); pairs = c ? c.list : []; }
  else {
    $('detail').innerHTML = head + '<p>asking…</p>';
    const r = await getJson('/v1/grid/cell?from=' + encodeURIComponent(a) + '&to=' + encodeURIComponent(b) + portQ());
    if (!r.ok) { $('detail').innerHTML = head + '<p>' + txt(r.body && r.body.message) + '</p>'; return; }
    pairs = r.body.pairs;
  }
  if (!S.open || S.open.kind !== 'cell' || S.open.cell[0] !== a || S.open.cell[1] !== b) return;
  const q = S.q.toLowerCase();
  const shown = pairs.filter((p) => !q || (p.from + ' ' + p.to + ' ' + p.addresses.map((x) => x.ip).join(' ')).toLowerCase().includes(q));
  const list = shown.length && shown.length < pairs.length ? shown : pairs;
  let h = head + '<p class="muted">' + pairs.length + ' container pairs' + (list !== pairs ? ', ' + list.length + ' matching ' + txt(S.q) : '') + '. Enter or a click shows the trace and fixes; Esc goes back.</p><ul class="pairs" id="pairs">';
  for (const p of list) h += '<li><button class="pair" data-from="' + txt(p.from) + '" data-to="' + txt(p.to) + '">' + txt(p.from) + ' → ' + txt(p.to) + ': <span class="v-' + p.verdict + '">' + p.verdict + '</span> <span class="muted">' + txt(p.addresses.map((x) => x.ip).join(', ')) + '</span></button></li>';
  $('detail').innerHTML = h + '</ul>';
  $('detail').querySelectorAll('button.pair').forEach((bt) => bt.addEventListener('click', () => openPair(bt.dataset.from, bt.dataset.to, [a, b])));
  if (!(opt && opt.keep)) { const first = $('detail').querySelector('button.pair'); if (first) first.focus(); }
}
function closeOpen() {
  const back = S.open;
  S.open = null;
  $('detail').innerHTML = '<p class="muted">Pick a cell of the grid (arrow keys, Enter) or an edge of the map.</p>';
  syncUrl(); renderGrid();
  if (back && back.cell) {
    const td = $('grid').querySelector('td.cell[data-from="' + CSS.escape(back.cell[0]) + '"][data-to="' + CSS.escape(back.cell[1]) + '"]');
    if (td) focusCell(+td.dataset.r, +td.dataset.c);
  } else focusCell(S.at[0], S.at[1]);
}

// ---------- the URL follows what is open: a copied address opens the same view
function syncUrl() {
  const u = new URLSearchParams();
  if (S.q) u.set('q', S.q);
  if (S.port) u.set('port', S.port);
  if (S.open && S.open.kind === 'pair') { u.set('from', S.open.from); u.set('to', S.open.to); }
  if (S.open && S.open.cell) { u.set('nfrom', S.open.cell[0]); u.set('nto', S.open.cell[1]); }
  const s = u.toString();
  history.replaceState(null, '', location.pathname + (s ? '?' + s : ''));
}

// ---------- the port selector: a new question to the agent
function setPort(p) {
  S.port = p;
  const m = /^(\\d+)\\/(tcp|udp)$/.exec(p);
  $('proto').value = m ? m[2] : '';
  $('portnum').value = m ? m[1] : '';
  $('portnum').disabled = !m;
}
async function changePort() {
  const proto = $('proto').value, n = $('portnum').value.trim();
  $('portnum').disabled = !proto;
  if (proto && !/^\\d+$/.test(n)) { $('portnum').focus(); return; }
  S.port = proto ? n + '/' + proto : '';
  syncUrl();
  await refresh(true);
  if (S.open && S.open.kind === 'pair') openPair(S.open.from, S.open.to, S.open.cell);
  else if (S.open && S.open.cell) openCell(S.open.cell[0], S.open.cell[1], { keep: true });
}

// ---------- freshness: each host's snapshot age and collectors, a banner when the last collection failed
function ago(s) { if (s == null) return '?'; s = Math.round(s); return s < 120 ? s + ' s' : s < 7200 ? Math.round(s / 60) + ' min' : Math.round(s / 3600) + ' h'; }
async function loadStatus() {
  if (!live) {
    const hosts = D.topology.hosts.map((h, i) => ({ name: h.name, collectedAt: D.topology.collectedAt[i], ageSeconds: (Date.now() - Date.parse(D.topology.collectedAt[i])) / 1000, stale: false, lastError: null, collectors: {} }));
    S.status = { mode: 'snapshot', readOnly: true, hosts };
    return;
  }
  const r = await getJson('/v1/status');
  if (r.ok) { S.status = r.body; S.readOnly = r.body.readOnly || !D.applyEnabled; return; }
  // An agent without /v1/status: its readiness says as much.
  const [h, t] = await Promise.all([getJson('/readyz'), getJson('/v1/map?format=json' + portQ())]);
  const b = h.body || {}, topo = t.ok ? t.body : null;
  S.status = { mode: 'live', readOnly: !D.applyEnabled, hosts: [{ name: topo ? topo.hosts.map((x) => x.name).join(', ') : 'agent', collectedAt: topo ? topo.collectedAt.join(', ') : null, ageSeconds: b.snapshotAgeSeconds, stale: !!b.lastError || h.status !== 200, lastError: b.lastError || (h.status !== 200 ? b.reason || b.status : null), collectors: {} }] };
}
function renderStatus(err) {
  const st = S.status;
  let h = '<span>' + (st && st.mode === 'snapshot' ? (live ? 'saved snapshots, read-only' : 'embedded snapshot') : 'live agent') + (st && !st.readOnly ? '' : ' · read-only') + '</span>';
  for (const x of (st ? st.hosts : [])) {
    h += '<span class="hoststatus" data-host="' + txt(x.name) + '"><span class="host">' + txt(x.name) + '</span> collected <b class="age">' + ago(x.ageSeconds) + '</b> ago' + (x.collectedAt ? ' <span class="muted">(' + txt(x.collectedAt) + ')</span>' : '');
    // After a failed collection, what each collector did then: the chips of the last good snapshot would all say ok.
    const shown = x.lastAttempt ? x.lastAttempt.collectors : x.collectors;
    if (x.lastAttempt) h += ' <span class="muted">last attempt ' + txt(x.lastAttempt.collectedAt) + ':</span>';
    for (const [name, c] of Object.entries(shown || {})) h += '<span class="chip s-' + txt(c.status) + '" title="' + txt(name + ': ' + c.status + (c.durationMs != null ? ', ' + c.durationMs + ' ms' : '')) + '">' + txt(name) + ' ' + txt(c.status) + '</span>';
    h += '</span>';
  }
  $('status').innerHTML = h;
  const bad = (st ? st.hosts : []).filter((x) => x.stale || x.lastError);
  const b = $('banner');
  if (err) { b.hidden = false; b.textContent = 'The agent does not answer (' + err + '): what is shown may be out of date.'; }
  else if (bad.length) { b.hidden = false; b.textContent = bad.map((x) => 'STALE: the last collection of ' + x.name + ' failed' + (x.lastError ? ': ' + x.lastError : '') + '. Showing its last good snapshot, ' + ago(x.ageSeconds) + ' old.').join(' '); }
  else b.hidden = true;
}

// ---------- loading and following the agent's refreshes
// Drawn again only for a new snapshot or another port: a picture of 500 containers takes the agent seconds.
async function loadMap(collected) {
  if (!live) { $('map').innerHTML = D.svg || ''; wireMap(); return; }
  const key = S.port + '|' + collected;
  if (S.svgFor === key) return;
  const [svg, t] = await Promise.all([fetch('/v1/map?format=svg' + portQ()).then((r) => r.text()), getJson('/v1/map?format=json' + portQ())]);
  S.topo = t.body; S.svgFor = key;
  $('map').innerHTML = svg;
  wireMap();
}
function wireMap() {
  document.querySelectorAll('#map g.edge').forEach((g) => {
    const e = S.topo && S.topo.edges.find((x) => 'edge_' + x.id === g.id);
    if (!e) return;
    g.addEventListener('click', () => openPair(e.example.from, e.example.to, [e.from, e.to]));
  });
}
let lastCollected = null, applying = false;
async function refresh(force) {
  try {
    await loadStatus();
    const collected = S.status.hosts.map((x) => x.collectedAt).join();
    if (force || collected !== lastCollected) {
      const again = lastCollected !== null && !force;
      lastCollected = collected;
      await Promise.all([loadGrid(), loadMap(collected)]);
      renderGrid(); filterMap();
      // A new snapshot: the open trace is asked again, quietly (the focus stays where it is, a change's result stays).
      if (again && S.open && S.open.kind === 'pair' && !applying) { const r = $('result'); await openPair(S.open.from, S.open.to, S.open.cell, r ? r.innerHTML : '', true); }
    }
    renderStatus(null);
  } catch (e) { renderStatus(e.message || String(e)); }
}

// ---------- keyboard: arrows move in the grid and the pair list, Enter opens, Esc goes back, / searches
document.addEventListener('keydown', (ev) => {
  const t = ev.target;
  if (t.id === 'q') {
    if (ev.key === 'Escape') { ev.preventDefault(); search(''); }
    else if (ev.key === 'Enter' || ev.key === 'ArrowDown') { ev.preventDefault(); focusCell(0, 0); }
    return;
  }
  if (t.id === 'token' || t.id === 'portnum') return;
  if (ev.key === '/' ) { ev.preventDefault(); $('q').focus(); return; }
  if (t.matches && t.matches('td.cell')) {
    const mv = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1], Home: [0, -1e9], End: [0, 1e9] }[ev.key];
    if (mv) { ev.preventDefault(); focusCell(+t.dataset.r + mv[0], +t.dataset.c + mv[1]); return; }
    if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); S.at = [+t.dataset.r, +t.dataset.c]; openCell(t.dataset.from, t.dataset.to); return; }
  }
  if (t.matches && t.matches('button.pair') && (ev.key === 'ArrowDown' || ev.key === 'ArrowUp')) {
    ev.preventDefault();
    const all = [...document.querySelectorAll('button.pair')], i = all.indexOf(t) + (ev.key === 'ArrowDown' ? 1 : -1);
    if (all[i]) all[i].focus();
    return;
  }
  if (ev.key === 'Escape') {
    ev.preventDefault();
    if (S.open && S.open.kind === 'pair' && S.open.cell && S.grid.cells.some((c) => c.from === S.open.cell[0] && c.to === S.open.cell[1])) openCell(S.open.cell[0], S.open.cell[1]);
    else if (S.open) closeOpen();
    else if (S.q) search('');
  }
});
$('grid').addEventListener('click', (ev) => {
  const td = ev.target.closest('td.cell');
  if (!td) return;
  focusCell(+td.dataset.r, +td.dataset.c);
  openCell(td.dataset.from, td.dataset.to);
});
$('q').addEventListener('input', (ev) => search(ev.target.value));
$('proto').addEventListener('change', changePort);
$('portnum').addEventListener('change', changePort);
if (!live) { $('proto').disabled = true; $('portnum').disabled = true; }
if (live && D.applyEnabled) {
  $('token').hidden = false;
  $('token').addEventListener('input', (ev) => { token = ev.target.value || null; document.querySelectorAll('button[data-fix]').forEach((b) => updateApply(b)); });
  // Leaving the page forgets the token: the field is emptied before the browser could restore it (reload, back/forward cache).
  addEventListener('pagehide', () => { token = null; $('token').value = ''; });
}

// ---------- start: the deep link first (q, port, a pair's trace, a cell)
(async () => {
  const u = new URLSearchParams(location.search);
  if (u.get('port') && live) setPort(u.get('port')); else setPort('');
  if (u.get('q')) { S.q = u.get('q').trim(); $('q').value = S.q; }
  await refresh(true);
  if (u.get('from') && u.get('to')) await openPair(u.get('from'), u.get('to'), u.get('nfrom') && u.get('nto') ? [u.get('nfrom'), u.get('nto')] : null);
  else if (u.get('nfrom') && u.get('nto')) await openCell(u.get('nfrom'), u.get('nto'), { keep: true });
  else syncUrl();
  document.body.dataset.ready = '1';
  if (live) setInterval(() => refresh(false), 5000);
})();
`;
