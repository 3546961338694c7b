// Lab: the agent's web view in a real browser — Debian's chromium, headless, driven by puppeteer-core, inside the lab
// host's network namespace — on the seed scenario: the grid and map of a live agent, the consent flow applying a fix
// (a real change, verified by the agent's live probe and by ours) and rolling it back, and the stale banner when the
// next collection fails because dockerd is gone. Search, keyboard, deep links and ports: ui-offline.lab.test.ts.
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, NETDIAG_BIN, labUnavailable, nodeFlags, until } from './lab.js';
import type { LabHost } from './lab.js';
import { seedScenario } from './scenarios.js';
import { chromiumMissing, detailSays, launch, newPage, pageErrors, ready, shot } from './browser.js';

const AGENT = 'http://127.0.0.1:9700';
const TOKEN = 'lab-token-ui-0f1e2d3c4b5a69788796a5b4c3d2e1f0';

const skip = labUnavailable() ?? chromiumMissing();
if (skip) console.warn(`SKIPPED browser tests: ${skip}`);

const exceptions = (page: Page) => page.$eval('#grid .exceptions', (e) => Number(e.textContent));
const onNetworks = async (h: LabHost, c: string) => (await h.docker(['inspect', '-f', '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}', c])).trim().split(' ').sort();

describe.skipIf(skip !== null)('the web view in a real browser, on a live lab host', () => {
  let lab: Lab;
  let h: LabHost;
  let dir: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    lab = await Lab.create();
    h = await seedScenario(lab, 'h1');
    ({ dir } = await h.startAgent(TOKEN, { hostName: 'h1' }));
    browser = await launch(h.netns);
    page = await newPage(browser);
  });
  afterAll(async () => {
    await browser?.close();
    await lab?.teardown();
    expect(pageErrors).toEqual([]);
  });

  it('a live agent: every collector ok, the grid bridge → net-redis blocked by isolation (Docker\'s default), the map beside it', async () => {
    // Under the agent's CSP (its inline script and style by hash, nothing remote, never framed): a refusal is a page error.
    const res = await page.goto(`${AGENT}/ui`, { waitUntil: 'load' });
    expect(res?.headers()['content-security-policy']).toMatch(/^default-src 'none'; script-src 'sha256-[^']+'; style-src 'sha256-[^']+';.*frame-ancestors 'none'$/);
    expect(res?.headers()['x-frame-options']).toBe('DENY');
    await ready(page, `${AGENT}/ui`);
    const status = await page.$eval('#status', (s) => s.textContent ?? '');
    expect(status).toMatch(/live agent\s*h1 collected \d+ s ago/);
    const chips = await page.$$eval('#status .chip', (cs) => cs.map((c) => c.className));
    expect(chips.length).toBeGreaterThan(3);
    for (const c of chips) expect(c).toBe('chip s-ok');
    expect(await page.$eval('#banner', (b) => b.hidden)).toBe(true);
    const cell = await page.$eval('#grid td.cell[data-from="h1/bridge"][data-to="h1/net-redis"]', (td) => [td.className, td.textContent, td.getAttribute('title')]);
    expect(cell).toEqual(['cell c-blocked default', '0/2', 'bridge → net-redis: 0 of 2 container pairs reach (isolation)']);
    expect(await exceptions(page)).toBe(0);
    const texts = await page.$$eval('#map svg text', (ts) => ts.map((t) => t.textContent ?? ''));
    for (const n of ['net-redis', 'alpine-01', 'redis-1', 'redis-2']) expect(texts.some((t) => t.includes(n))).toBe(true);
    await shot(page, 'lab-seed');
  });

  it('consent: the wider fix is applied only once its extra pairs are ticked; the live probe verifies it; the rollback button undoes it', async () => {
    const ip = await h.ip('redis-1', 'net-redis');
    expect(await h.probe('alpine-01', ip)).toBe(false);
    // From the grid cell to its pair, as a person would.
    await page.click('#grid td.cell[data-from="h1/bridge"][data-to="h1/net-redis"]');
    await detailSays(page, '2 container pairs');
    await page.click('#detail button.pair[data-to="redis-1"]');
    await detailSays(page, 'Ranked fixes');
    const connect = await page.$$eval('#detail .fix', (fs) => fs.map((f) => ({ id: (f as HTMLElement).dataset.fixid!, cmd: f.querySelector('.commands')?.textContent ?? '', rollback: f.querySelector('.rollback')?.textContent ?? '', also: f.querySelector('.also')?.textContent ?? '', predicted: f.querySelector('.predicted')?.textContent ?? '' })).find((f) => f.cmd === '$ docker network connect net-redis alpine-01'));
    expect(connect).toBeDefined();
    expect(connect!.rollback).toBe('$ docker network disconnect net-redis alpine-01');
    expect(connect!.also).toContain('alpine-01 → redis-2');
    expect(connect!.predicted).toMatch(/alpine-01 → redis-1 reachable; redis-1 → alpine-01 \w+/);
    const button = `#detail button.apply[data-fix="${connect!.id}"]`;
    expect(await page.$eval(button, (b) => (b as HTMLButtonElement).disabled)).toBe(true);
    await page.type('#token', TOKEN);
    // The token alone is not enough for a fix that opens more than the asked pair.
    expect(await page.$eval(button, (b) => (b as HTMLButtonElement).disabled)).toBe(true);
    await page.click(`#detail input.confirm[data-fix="${connect!.id}"]`);
    expect(await page.$eval(button, (b) => (b as HTMLButtonElement).disabled)).toBe(false);
    await page.click(button);
    await page.waitForSelector('#result[data-settled="1"] .result[data-status]', { timeout: 120_000 });
    const result = await page.$eval('#result', (r) => ({ status: r.querySelector('.result')!.getAttribute('data-status'), text: r.textContent ?? '', probe: r.querySelector('.probe')?.textContent ?? '' }));
    expect(result.status, result.text).toBe('applied');
    expect(result.text).toContain('verified by a live probe');
    expect(result.probe).toMatch(/reachable/);
    // The trace under the result is asked again after the change: now reachable.
    expect(await page.$eval('#why-head', (x) => x.textContent)).toBe('alpine-01 → redis-1: reachable');
    // Ours agrees: a real change on the host.
    expect(await onNetworks(h, 'alpine-01')).toEqual(['bridge', 'net-redis']);
    expect(await h.probe('alpine-01', ip)).toBe(true);
    // The grid follows: bridge → net-redis now differs from Docker's default.
    await page.waitForFunction(() => Number(document.querySelector('#grid .exceptions')?.textContent) > 0, { timeout: 60_000 });
    await shot(page, 'lab-applied');
    await page.click('#result button.rollback');
    await page.waitForSelector('#result[data-settled="1"] .result[data-status="rolled-back"]', { timeout: 120_000 });
    // The trace follows the agent's next snapshot (asked again after the rollback, or when the page sees it).
    await page.waitForFunction(() => document.querySelector('#why-head')?.textContent === 'alpine-01 → redis-1: blocked', { timeout: 30_000 });
    expect(await page.$eval('#result', (r) => r.textContent)).toMatch(/^fx-[0-9a-f]{8}: rolled-back\s*undone:\$ docker network \w+ net-redis alpine-01$/);
    expect(await onNetworks(h, 'alpine-01')).toEqual(['bridge']);
    expect(await h.probe('alpine-01', ip)).toBe(false);
    await page.waitForFunction(() => Number(document.querySelector('#grid .exceptions')?.textContent) === 0, { timeout: 60_000 });
    // The token was typed, used twice, and kept nowhere but the page's variable: no storage, no cookie, not in the URL.
    const kept = await page.evaluate(() => ({ local: localStorage.length, session: sessionStorage.length, cookie: document.cookie, url: location.href, field: (document.getElementById('token') as HTMLInputElement).outerHTML }));
    expect(kept).toMatchObject({ local: 0, session: 0, cookie: '' });
    expect(kept.url).not.toContain(TOKEN);
    expect(kept.url).not.toMatch(/token/i);
    expect(kept.field).toMatch(/type="password"/);
    expect(kept.field).toMatch(/autocomplete="off"/);
    // A reload (or back/forward) gets an empty field: pagehide forgot it and the browser restores nothing.
    await page.reload({ waitUntil: 'load' });
    await page.waitForSelector('body[data-ready="1"]', { timeout: 60_000 });
    expect(await page.$eval('#token', (t) => (t as HTMLInputElement).value)).toBe('');
    expect(await page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie])).toEqual([0, 0, '']);
    await page.goBack().catch(() => undefined);
    await page.goForward().catch(() => undefined);
    expect(await page.$eval('#token', (t) => (t as HTMLInputElement).value)).toBe('');
  });

  it('stale: dockerd stopped, the next collection fails; the page says so in a banner with the last good snapshot\'s age, /readyz is 503', async () => {
    // An agent collecting every second (the first one's refresh is 5 minutes).
    const fast = h.startDaemon(process.execPath, [...nodeFlags(), NETDIAG_BIN, 'agent', '--listen', '127.0.0.1:9703', '--refresh', '1s', '--host-name', 'h1', '--state-dir', join(dir, 'state-fast')], join(dir, 'fast.log'));
    const F = 'http://127.0.0.1:9703';
    await until('the second agent to be ready', async () => ((await h.http(`${F}/readyz`).catch(() => ({ status: 0 }))).status === 200 ? true : null));
    const p = await newPage(browser);
    await ready(p, `${F}/ui`);
    expect(await p.$eval('#banner', (b) => b.hidden)).toBe(true);
    await h.stopDocker();
    await p.waitForFunction(() => !(document.querySelector('#banner') as HTMLElement).hidden, { timeout: 60_000 });
    const banner = await p.$eval('#banner', (b) => b.textContent ?? '');
    expect(banner).toMatch(/^STALE: the last collection of h1 failed: docker: .+ Showing its last good snapshot, \d+ s old\.$/);
    console.log(`stale: the status line says ${await p.$eval('#status', (s) => s.textContent)}`);
    // The last good snapshot is still served, with its age (stopDocker removed the containers first: that collection
    // succeeded, with no containers, and is the last good one).
    expect(await p.$eval('#status', (s) => s.textContent)).toMatch(/h1 collected \d+ s ago/);
    // The chips are the failed collection's: docker is not "ok" there.
    expect(await p.$eval('#status', (s) => s.textContent)).toMatch(/last attempt .*docker absent/);
    expect((await h.http(`${F}/readyz`)).status).toBe(503);
    await shot(p, 'lab-stale');
    await p.close();
    expect(await fast.stop('SIGTERM')).toBe(0);
  });
});
