// The web view's trace and fix panel (in the browser): a pair's why, asked on demand, and consent before a change —
// both directions predicted, what else the fix opens, the exact commands and their rollback, the token, an explicit
// confirmation of anything wider than the asked pair, then the probe's answer and a rollback button.
import { stepLine } from '../trace-text.js';

/**
 * One step of a trace as a line, in the browser: the terminal's own function (present/trace-text.ts), its compiled
 * source embedded, so both say the same words from the step's typed fields.
 */
export const STEP_LINE = `const stepLine = ${stepLine.toString()};`;

export const FIX_SCRIPT = `
${STEP_LINE}
function hops(title, list) {
  if (!list || !list.length) return '';
  return title + ':\\n' + list.map((h) => h.steps.map((s) => '  ' + h.node + ': ' + stepLine(s)).join('\\n')).join('\\n') + '\\n';
}
function renderWhy(w) {
  let out = '<h3 id="why-head">' + txt(w.from.name) + ' → ' + txt(w.to.name) + ': <span class="v-' + w.verdict + '">' + w.verdict + '</span>' + (S.port ? ' <span class="muted">' + txt(S.port) + '</span>' : '') + '</h3>';
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
const applicable = (f) => live && !S.readOnly && !f.discouraged && f.steps.every((s) => s.kind !== 'docker-daemon-config');
function renderFixes(from, to, fixes) {
  if (!fixes || !fixes.length) return '<p>No fix: the pair is not blocked by the network, or nothing netdiag knows of would open it.</p>';
  let out = '<h3>Ranked fixes</h3>';
  fixes.forEach((f, i) => {
    const wider = f.alsoOpens || [];
    out += '<div class="fix" data-fixid="' + txt(f.id) + '"><b>' + (i + 1) + '. ' + txt(f.title) + '</b> <span class="muted">[' + txt(f.id) + ']' + (f.discouraged ? ' discouraged' : '') + '</span>' +
      '<div class="predicted">predicted after the change: ' + txt(from) + ' → ' + txt(to) + ' <span class="v-' + f.predicted.forward + '">' + f.predicted.forward + '</span>; ' + txt(to) + ' → ' + txt(from) + ' <span class="v-' + f.predicted.reverse + '">' + f.predicted.reverse + '</span></div>' +
      '<div class="also">' + (wider.length ? 'also opens ' + wider.length + ': ' + wider.map(txt).join(', ') : 'opens nothing besides this pair') + '</div>' +
      '<div>commands:</div><code class="commands">' + f.commands.map((c) => '$ ' + txt(c)).join('\\n') + '</code>' +
      '<div>rollback:</div><code class="rollback">' + (f.rollback && f.rollback.length ? f.rollback.map((c) => '$ ' + txt(c)).join('\\n') : '(this agent does not list the undo commands; netdiag rollback ID undoes an applied fix)') + '</code>' +
      '<div class="muted">' + txt(f.scope) + '</div><small>' + txt(f.note) + '</small>';
    if (applicable(f)) {
      if (wider.length) out += '<label class="wider"><input type="checkbox" class="confirm" data-fix="' + txt(f.id) + '"> I understand this also opens: ' + wider.map(txt).join(', ') + '</label>';
      out += '<div><button class="apply" data-fix="' + txt(f.id) + '" disabled>apply</button> <span class="muted hint"></span></div>';
    }
    out += '</div>';
  });
  return out;
}
// Apply is possible only with the token typed and, for a wider fix, its confirmation ticked.
function updateApply(b) {
  const box = document.querySelector('input.confirm[data-fix="' + CSS.escape(b.dataset.fix) + '"]');
  b.disabled = !token || (box && !box.checked);
  const hint = b.parentElement.querySelector('.hint');
  if (hint) hint.textContent = !token ? 'type the token above to apply' : box && !box.checked ? 'tick the confirmation first' : '';
}
let shownFixes = [];
async function openPair(from, to, cell, keep, quiet) {
  S.open = { kind: 'pair', from, to, cell: cell || null };
  syncUrl(); renderGrid();
  const panel = $('detail');
  const back = cell ? '<p class="muted">Esc: back to the pairs of this cell</p>' : '';
  if (!keep) panel.innerHTML = '<p>asking…</p>';
  let w, fixes;
  if (!live) {
    const own = D.explained[from + '\\u0000' + to];
    const e = own ? [null, own] : Object.entries(D.explained).find(([id]) => { const x = D.topology.edges.find((y) => y.id === id); return x && x.example.from === from && x.example.to === to; });
    if (!e) { panel.innerHTML = back + '<p>' + txt(from) + ' → ' + txt(to) + ': this file holds one traced pair per cell of the grid; run netdiag why ' + txt(from) + ' ' + txt(to) + ' --snapshot FILE, or open it with netdiag map --serve</p>'; return; }
    w = e[1].why; fixes = e[1].fixes;
  } else {
    const r = await getJson('/v1/why?from=' + encodeURIComponent(from) + '&to=' + encodeURIComponent(to) + portQ());
    if (!S.open || S.open.from !== from || S.open.to !== to) return;
    if (!r.ok) { panel.innerHTML = back + '<p>' + txt(r.body && r.body.message) + '</p>'; return; }
    w = r.body; fixes = w.fixes;
  }
  shownFixes = fixes || [];
  panel.innerHTML = back + '<div id="result"' + (keep && !applying ? ' data-settled="1"' : '') + '>' + (keep || '') + '</div>' + renderWhy(w) + (w.verdict !== 'reachable' ? renderFixes(w.from.name, w.to.name, fixes) : '');
  panel.querySelectorAll('button.apply').forEach((b) => { updateApply(b); b.addEventListener('click', () => apply(b.dataset.fix, from, to)); });
  panel.querySelectorAll('input.confirm').forEach((c) => c.addEventListener('change', () => panel.querySelectorAll('button.apply').forEach(updateApply)));
  const head = $('why-head');
  if (head && !quiet) { head.tabIndex = -1; head.focus(); }
  wireRollback();
}
async function post(url, body) {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token }, body: JSON.stringify(body) });
  let b = null;
  try { b = await r.json(); } catch (e) { b = { message: 'the agent answered ' + r.status }; }
  return { ok: r.ok, status: r.status, body: b };
}
async function apply(id, from, to) {
  const f = shownFixes.find((x) => x.id === id);
  const body = { from, to };
  if (S.port) body.port = S.port;
  if (f && f.alsoOpens && f.alsoOpens.length) body.confirmWider = f.alsoOpens;
  const res = $('result');
  applying = true;
  res.innerHTML = '<div class="result">applying ' + txt(id) + '…</div>';
  document.querySelectorAll('button.apply').forEach((b) => (b.disabled = true));
  const r = await post('/v1/fixes/' + encodeURIComponent(id) + '/apply', body);
  const b = r.body || {};
  let h = '<div class="result ' + (b.verified ? 'ok' : 'bad') + '" data-status="' + txt(b.status || 'error') + '"><b>' + txt(id) + ': ' + txt(b.status || b.message) + (b.status ? (b.verified ? ', verified by a live probe' : ', NOT verified') : '') + '</b>';
  if (b.verification) h += '<div>live check: <span class="probe">' + txt(b.verification) + '</span></div>';
  if (b.error) h += '<div>' + txt(b.error.message) + ' <span class="muted">' + txt(b.error.hint) + '</span></div>';
  if (b.steps && b.steps.length) h += '<code>' + b.steps.map((s) => '$ ' + txt(s.command) + (s.changed ? '' : '  (already so)')).join('\\n') + '</code>';
  if (b.status === 'applied' || b.status === 'already-applied') h += '<button class="rollback" data-id="' + txt(b.id) + '">roll back ' + txt(b.id) + '</button>';
  await afterChange(from, to, h + '</div>', false);
}
// After a change the trace and fixes are asked again (the agent collected anew), under the change's result; the grid
// and the map follow on the next refresh.
// A rollback's collection runs after its answer: wait (ten seconds at most) for a snapshot younger than the time since
// the answer came (ages are the agent's own: no clock is compared across machines).
async function afterChange(from, to, resultHtml, waitNew) {
  const open = S.open, since = performance.now();
  $('result').innerHTML = resultHtml;
  for (let i = 0; waitNew && i < 20; i++) {
    await new Promise((r) => setTimeout(r, 500));
    await loadStatus();
    if (S.status.hosts.every((x) => x.ageSeconds * 1000 < performance.now() - since)) break;
  }
  await refresh(true);
  applying = false;
  if (open && open.kind === 'pair' && open.from === from && open.to === to) await openPair(from, to, open.cell, resultHtml);
  wireRollback();
  // Tests (and people) act on the result once the trace under it is the one after the change.
  $('result').dataset.settled = '1';
}
// Once per button: openPair and afterChange both wire the result they show, and two listeners sent two rollbacks.
function wireRollback() {
  const rb = document.querySelector('#result button.rollback');
  if (rb && !rb.dataset.wired) { rb.dataset.wired = '1'; rb.addEventListener('click', () => rollback(rb.dataset.id)); }
}
async function rollback(id) {
  const open = S.open;
  applying = true;
  const r = await post('/v1/rollback/' + encodeURIComponent(id), {});
  const b = r.body || {};
  const html = '<div class="result ' + (r.ok ? 'ok' : 'bad') + '" data-status="' + txt(b.status || 'error') + '"><b>' + txt(id) + ': ' + txt(b.status || b.message) + '</b>' + (b.undone ? '<div>undone:</div><code>' + b.undone.map((s) => '$ ' + txt(s.command)).join('\\n') + '</code>' : '') + '</div>';
  if (open && open.kind === 'pair') await afterChange(open.from, open.to, html, r.ok);
  else { $('result').innerHTML = html; applying = false; }
}
`;
