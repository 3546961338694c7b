// The web view in a real browser against the agent's own app serving saved snapshots (no Docker, no lab host): the
// captured seed host for search, the grid's drill-down, a trace, the port selector, keyboard, deep links and the
// consent panel (nothing is applied: the host mutator refuses every change); a synthetic 500-container host for the
// screenshot at size. The lab file ui.lab.test.ts applies and rolls back a real fix and fails a real collection.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../agent/app.js';
import { createMetrics } from '../../agent/metrics.js';
import { SnapshotStore } from '../../agent/snapshot-store.js';
import { ChangeLedger } from '../../actuation/ledger.js';
import { parseSnapshot } from '../../snapshot/host-snapshot.js';
import type { HostSnapshot } from '../../snapshot/host-snapshot.js';
import { syntheticHost } from '../../bench/synthetic.js';
import { untouchableHost } from '../unit/recording-host.js';
import { renderMap } from '../../present/map/render.js';
import { buildWorld } from '../../rules/model/build.js';
import { parseFlow } from '../../rules/query/flow.js';
import { REPO } from './lab.js';
import { chromiumMissing, detailSays, launch, newPage, pageErrors, ready, shot } from './browser.js';

const TOKEN = 'offline-ui-token-0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const skip = chromiumMissing();
if (skip) console.warn(`SKIPPED browser tests: ${skip}`);

async function serve(snapshot: HostSnapshot): Promise<{ app: FastifyInstance; url: string }> {
  const store = SnapshotStore.fixed(snapshot);
  const stateDir = mkdtempSync(join(tmpdir(), 'netdiag-ui-'));
  const ledger = new ChangeLedger(stateDir);
  const metrics = createMetrics(store, ledger);
  metrics.observeRefresh(snapshot);
  const app = await buildApp({ store, metrics, ledger, token: TOKEN, stateDir, host: untouchableHost(), hostName: snapshot.name });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url };
}

const seed = parseSnapshot(JSON.parse(readFileSync(join(REPO, 'examples/seed-host.json'), 'utf8')));
const rowNames = (page: Page) => page.$$eval('#grid th.row', (ths) => ths.map((t) => t.textContent));
const query = (page: Page) => new URL(page.url()).searchParams;

describe.skipIf(skip !== null)('the web view in a real browser, on saved snapshots', () => {
  let browser: Browser;
  let page: Page;
  let seedAgent: { app: FastifyInstance; url: string };
  const requests: string[] = [];

  beforeAll(async () => {
    seedAgent = await serve(seed);
    browser = await launch();
    page = await newPage(browser);
    page.on('request', (r) => requests.push(r.url()));
  });
  afterAll(async () => {
    await browser?.close();
    await seedAgent?.app.close();
    expect(pageErrors).toEqual([]);
  });

  it('shows the snapshot\'s age and the network grid: bridge → net-redis blocked 0 of 2, inside net-redis 2 of 2', async () => {
    await ready(page, `${seedAgent.url}/ui`);
    const status = await page.$eval('#status', (s) => s.textContent ?? '');
    expect(status).toContain(seed.name);
    expect(status).toMatch(/collected \d+ (s|min|h) ago/);
    expect(await page.$eval('#banner', (b) => b.hidden)).toBe(true);
    expect(await rowNames(page)).toEqual(['bridge', 'net-redis']);
    // Docker's host and none networks hold no container pairs: said, not drawn.
    expect(await page.$eval('#grid-count', (c) => c.textContent)).toContain('2 networks (2 without containers not shown)');
    const cells = await page.$$eval('#grid td.cell', (tds) => tds.map((td) => `${td.getAttribute('data-r')},${td.getAttribute('data-c')} ${td.className} ${td.textContent}`));
    expect(cells).toEqual(['0,0 cell c-none default ', '0,1 cell c-blocked default 0/2', '1,0 cell c-blocked default 0/2', '1,1 cell c-reachable default 2/2']);
    // The seed host is Docker's default: isolation between its networks, nothing else.
    expect(await page.$eval('#grid .exceptions', (e) => e.textContent)).toBe('0');
    await shot(page, 'seed');
  });

  it('search: a container, an address, a host; the grid and the map follow, the URL too; Esc clears', async () => {
    await page.click('#q');
    await page.keyboard.type('redis-2');
    expect(await rowNames(page)).toEqual(['net-redis']);
    expect(query(page).get('q')).toBe('redis-2');
    // On the map, the node holding redis-2 is highlighted and the other containers dimmed.
    const marks = await page.$$eval('#map svg g.node', (gs) => gs.map((g) => [g.textContent ?? '', g.classList.contains('hit'), g.classList.contains('dim')] as const));
    expect(marks.filter(([t, hit]) => t.includes('redis-2') && hit).length).toBeGreaterThan(0);
    expect(marks.filter(([t, , dim]) => t.includes('alpine-01') && dim).length).toBeGreaterThan(0);
    await page.keyboard.press('Escape');
    expect(await page.$eval('#q', (q) => (q as HTMLInputElement).value)).toBe('');
    expect(await rowNames(page)).toEqual(['bridge', 'net-redis']);
    expect(query(page).get('q')).toBeNull();
    // An address finds the network whose subnet holds it; the host's name finds all of its networks.
    await page.keyboard.type('172.18.0.3');
    expect(await rowNames(page)).toEqual(['net-redis']);
    await page.keyboard.press('Escape');
    await page.keyboard.type('no-such-thing');
    expect(await page.$eval('#grid', (g) => g.textContent)).toContain('Nothing matches no-such-thing');
    await page.keyboard.press('Escape');
    await page.keyboard.type(seed.name);
    expect(await rowNames(page)).toEqual(['bridge', 'net-redis']);
    await page.keyboard.press('Escape');
  });

  it('keyboard: arrows move in the grid with a visible focus, Enter opens a cell and a pair, Esc goes back step by step', async () => {
    await page.focus('#q');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-r') + ',' + document.activeElement?.getAttribute('data-c'))).toBe('0,0');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowUp');
    const focused = await page.evaluate(() => {
      const a = document.activeElement as HTMLElement;
      return { to: a.dataset.to, outline: getComputedStyle(a).outlineStyle, tab: a.tabIndex };
    });
    expect(focused).toEqual({ to: expect.stringMatching(/net-redis$/), outline: 'solid', tab: 0 });
    await page.keyboard.press('Enter');
    const pairs = await detailSays(page, '2 container pairs');
    expect(pairs).toContain('alpine-01 → redis-1: blocked');
    expect(pairs).toContain('alpine-01 → redis-2: blocked');
    expect(query(page).get('nto')).toMatch(/net-redis$/);
    // The first pair has the focus; ArrowDown goes to the second, Enter opens its trace.
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await detailSays(page, 'alpine-01 → redis-2: blocked');
    expect([query(page).get('from'), query(page).get('to')]).toEqual(['alpine-01', 'redis-2']);
    await page.keyboard.press('Escape');
    await detailSays(page, '2 container pairs');
    expect(query(page).get('from')).toBeNull();
    await page.keyboard.press('Escape');
    await detailSays(page, 'Pick a cell');
    expect(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.to)).toMatch(/net-redis$/);
  });

  it('a trace one click from its cell, asked on demand: the deciding rule, the fixes with both directions, commands and rollback', async () => {
    const before = requests.length;
    await page.click('#grid td.cell[data-r="0"][data-c="1"]');
    await detailSays(page, '2 container pairs');
    await page.click('#detail button.pair[data-to="redis-1"]');
    const detail = await detailSays(page, 'DOCKER-ISOLATION-STAGE-2');
    expect(requests.slice(before).some((u) => u.includes('/v1/why?from=alpine-01&to=redis-1'))).toBe(true);
    expect(detail).toContain('alpine-01 → redis-1: blocked');
    expect(detail).toContain('Ranked fixes');
    const fixes = await page.$$eval('#detail .fix', (fs) => fs.map((f) => ({ predicted: f.querySelector('.predicted')?.textContent, also: f.querySelector('.also')?.textContent, commands: f.querySelector('.commands')?.textContent, rollback: f.querySelector('.rollback')?.textContent })));
    expect(fixes.length).toBeGreaterThan(1);
    for (const f of fixes) {
      expect(f.predicted).toMatch(/alpine-01 → redis-1 (reachable|blocked|unknown); redis-1 → alpine-01 (reachable|blocked|unknown)/);
      expect(f.commands).toMatch(/^\$ /);
      expect(f.rollback).toBeTruthy();
    }
    const connect = fixes.find((f) => f.commands?.includes('docker network connect net-redis alpine-01'));
    expect(connect?.also).toContain('alpine-01 → redis-2');
    await shot(page, 'seed-why');
  });

  it('consent: no token, no apply; the token enables a narrow fix, a wider one also needs its confirmation ticked; the token is kept nowhere', async () => {
    const state = () => page.$$eval('#detail .fix', (fs) => fs.map((f) => ({ id: (f as HTMLElement).dataset.fixid, cmd: f.querySelector('.commands')?.textContent ?? '', apply: (f.querySelector('button.apply') as HTMLButtonElement | null)?.disabled ?? null, confirm: !!f.querySelector('input.confirm') })));
    const before = await state();
    expect(before.filter((f) => f.apply !== null).every((f) => f.apply === true)).toBe(true);
    await page.type('#token', TOKEN);
    const typed = await state();
    const connect = typed.find((f) => f.cmd.includes('docker network connect net-redis alpine-01'))!;
    expect(connect).toMatchObject({ confirm: true, apply: true });
    const narrow = typed.find((f) => f.cmd.includes('DOCKER-USER'))!;
    expect(narrow).toMatchObject({ confirm: false, apply: false });
    await page.click(`#detail input.confirm[data-fix="${connect.id}"]`);
    expect((await state()).find((f) => f.cmd === connect.cmd)?.apply).toBe(false);
    // The token is in a JS variable only.
    const kept = await page.evaluate(() => ({ local: JSON.stringify({ ...localStorage }), session: JSON.stringify({ ...sessionStorage }), cookie: document.cookie, url: location.href }));
    for (const v of Object.values(kept)) expect(v).not.toContain(TOKEN);
    await shot(page, 'seed-consent');
  });

  it('the port selector asks the agent again with port=80/tcp, and the URL and the open trace follow', async () => {
    const before = requests.length;
    await page.select('#proto', 'tcp');
    await page.click('#portnum', { count: 3 });
    await page.type('#portnum', '80');
    await page.keyboard.press('Tab');
    await page.waitForFunction(() => document.querySelector('#grid-count')?.textContent?.includes('80/tcp'), { timeout: 30_000 });
    expect(query(page).get('port')).toBe('80/tcp');
    const asked = requests.slice(before);
    expect(asked.some((u) => /\/v1\/(grid|matrix)\?.*port=80%2Ftcp/.test(u))).toBe(true);
    expect(asked.some((u) => /\/v1\/why\?from=alpine-01&to=redis-1&port=80%2Ftcp/.test(u))).toBe(true);
    await detailSays(page, '80/tcp');
    // UDP, then back to ping: the port box is off for ping.
    await page.select('#proto', '');
    await page.waitForFunction(() => !document.querySelector('#grid-count')?.textContent?.includes('80/tcp'), { timeout: 30_000 });
    expect(await page.$eval('#portnum', (p) => (p as HTMLInputElement).disabled)).toBe(true);
    expect(query(page).get('port')).toBeNull();
  });

  it('deep links: /ui?from=…&to=…&port=80/tcp opens that trace; /ui?q=… searches', async () => {
    const other = await newPage(browser);
    await ready(other, `${seedAgent.url}/ui?from=alpine-01&to=redis-1&port=80/tcp`);
    const d = await detailSays(other, 'alpine-01 → redis-1');
    expect(d).toContain('80/tcp');
    expect(await other.$eval('#proto', (s) => (s as HTMLSelectElement).value)).toBe('tcp');
    expect(await other.$eval('#portnum', (s) => (s as HTMLInputElement).value)).toBe('80');
    await ready(other, `${seedAgent.url}/ui?q=net-redis`);
    expect(await other.$eval('#q', (q) => (q as HTMLInputElement).value)).toBe('net-redis');
    expect(await rowNames(other)).toEqual(['net-redis']);
    await other.close();
  });

  it('the static page (map --format html) works from what it embeds: the grid, a cell\'s pairs, the traced pair of a cell, search', async () => {
    const { text } = await renderMap(buildWorld([seed]), parseFlow(undefined), 'html');
    const file = join(mkdtempSync(join(tmpdir(), 'netdiag-ui-')), 'seed.html');
    writeFileSync(file, text);
    const p = await newPage(browser);
    await ready(p, `file://${file}`);
    expect(await p.$eval('#status', (s) => s.textContent)).toMatch(/embedded snapshot · read-only/);
    expect(await p.$$eval('#grid td.cell', (tds) => tds.map((td) => `${td.className} ${td.textContent}`))).toEqual(['cell c-none default ', 'cell c-blocked default 0/2', 'cell c-blocked default 0/2', 'cell c-reachable default 2/2']);
    expect(await p.$eval('#proto', (s) => (s as HTMLSelectElement).disabled)).toBe(true);
    await p.click('#grid td.cell[data-r="0"][data-c="1"]');
    await detailSays(p, '2 container pairs');
    // One pair of each cell is embedded with its trace; the other pair says how to ask.
    await p.click('#detail button.pair[data-to="redis-1"]');
    expect(await detailSays(p, 'DOCKER-ISOLATION-STAGE-2')).toContain('Ranked fixes');
    expect(await p.$$('#detail button.apply')).toHaveLength(0);
    await p.keyboard.press('Escape');
    await p.click('#detail button.pair[data-to="redis-2"]');
    expect(await detailSays(p, 'netdiag why alpine-01 redis-2')).toContain('one traced pair per cell');
    await p.type('#q', 'redis');
    expect(await rowNames(p)).toEqual(['net-redis']);
    await p.close();
  });

  it('a 500-container host (50 networks of 10): the grid is 50 × 50, the screenshot is kept', async () => {
    // Collected now, as an agent's snapshot would be (the bench's synthetic host says 1970).
    const big = await serve({ ...syntheticHost(50, 10, 'big-host'), collectedAt: new Date().toISOString() });
    try {
      const p = await newPage(browser, 1600, 1400);
      const t0 = Date.now();
      await ready(p, `${big.url}/ui`);
      const loadMs = Date.now() - t0;
      console.log(`500-container host: the page ready in ${loadMs} ms`);
      expect(await p.$$eval('#grid th.row', (r) => r.length)).toBe(50);
      expect(await p.$$eval('#grid td.cell', (r) => r.length)).toBe(2500);
      // Docker's default on this host: each network reaches itself, none reaches another.
      expect(await p.$$eval('#grid td.cell.c-reachable.default', (r) => r.length)).toBe(50);
      expect(await p.$$eval('#grid td.cell.c-blocked.default', (r) => r.length)).toBe(2450);
      expect(await p.$eval('#grid .exceptions', (e) => e.textContent)).toBe('0');
      // Fifty columns fit the window: cells are colour only, their numbers in the title.
      const [table, section] = await p.$eval('#grid table', (t) => [t.getBoundingClientRect().right, t.closest('section')!.getBoundingClientRect().right]);
      expect(table).toBeLessThan(section!);
      // One cell opened into its hundred container pairs, for the picture.
      await p.click('#grid td.cell[data-from="big-host/net-3"][data-to="big-host/net-7"]');
      expect(await detailSays(p, '100 container pairs')).toContain('net-3 → net-7');
      await shot(p, '500', false);
      await p.type('#q', 'net-42');
      expect(await rowNames(p)).toEqual(['net-42']);
      // A container's name finds its network although the map folds containers into counts.
      await p.click('#q', { count: 3 });
      await p.type('#q', 'c17-4');
      await p.waitForFunction(() => [...document.querySelectorAll('#grid th.row')].map((t) => t.textContent).join() === 'net-17', { timeout: 30_000 });
      await p.close();
    } finally {
      await big.app.close();
    }
  });
});
