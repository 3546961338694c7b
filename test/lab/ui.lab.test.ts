// Lab: the agent's web view in a real browser — Debian's chromium, headless, driven by puppeteer-core, inside the lab
// host's network namespace — on the seed scenario: both networks, the blocked edge, a click to the deciding rule.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, REPO, labUnavailable } from './lab.js';
import type { LabHost } from './lab.js';
import { seedScenario } from './scenarios.js';

const CHROMIUM = '/usr/bin/chromium';
const AGENT = 'http://127.0.0.1:9700';
const TOKEN = 'lab-token-ui-0f1e2d3c4b5a69788796a5b4c3d2e1f0';
/** Screenshots are kept as test artifacts (CI uploads the directory). */
const ARTIFACTS = join(REPO, 'test-artifacts');

function browserBlocker(): string | null {
  const lab = labUnavailable();
  if (lab) return lab;
  if (existsSync(CHROMIUM)) return null;
  const why = `the browser test needs ${CHROMIUM}: apt-get install chromium`;
  if (process.env.NETDIAG_LAB_REQUIRED) throw new Error(`NETDIAG_LAB_REQUIRED is set but ${why}`);
  return why;
}
const skip = browserBlocker();
if (skip) console.warn(`SKIPPED browser tests: ${skip}`);

describe.skipIf(skip !== null)('the web view in a real browser', () => {
  let lab: Lab;
  let h: LabHost;
  let browser: Browser;
  let page: Page;
  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `ui-${name}.png`), fullPage: true });

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    lab = await Lab.create();
    h = await seedScenario(lab, 'h1');
    const { dir } = await h.startAgent(TOKEN, { hostName: 'h1' });
    // The browser runs in the lab host's namespace (where the agent listens); puppeteer talks to it over a pipe.
    // nsenter is what puppeteer starts: it enters the namespace and runs chromium with puppeteer's own arguments.
    const chromium = await puppeteer.defaultArgs({ headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', `--user-data-dir=${join(dir, 'profile')}`] });
    browser = await puppeteer.launch({ executablePath: '/usr/bin/nsenter', ignoreDefaultArgs: true, pipe: true, args: [`--net=/run/netns/${h.netns}`, CHROMIUM, ...chromium] });
    page = await browser.newPage();
    await page.setViewport({ width: 1400, height: 1000 });
  });
  afterAll(async () => {
    await browser?.close();
    await lab?.teardown();
  });

  it('shows both networks and the blocked edge between them; a click shows DOCKER-ISOLATION-STAGE-2 and the fixes', async () => {
    await page.goto(`${AGENT}/ui`, { waitUntil: 'load' });
    await page.waitForSelector('body[data-ready="1"]', { timeout: 30_000 });
    const texts = await page.$$eval('#map svg text', (ts) => ts.map((t) => t.textContent ?? ''));
    expect(texts).toContain('bridge');
    expect(texts).toContain('net-redis');
    for (const c of ['alpine-01', 'redis-1', 'redis-2']) expect(texts).toContain(c);
    // Both directions between the two networks are blocked: red, dashed, labelled with the reason.
    const blocked = await page.$$eval('#map g.edge.share-none', (gs) => gs.map((g) => [g.querySelector('path')?.getAttribute('stroke'), g.querySelector('path')?.getAttribute('stroke-dasharray') !== null, g.textContent?.trim()]));
    expect(blocked).toHaveLength(2);
    for (const [stroke, dashed, label] of blocked) {
      expect(stroke).toBe('#c62828');
      expect(dashed).toBe(true);
      expect(label).toContain('isolation');
    }
    // The matrix as a grid: 3 containers, 6 cells, 2 of them reachable.
    expect(await page.$$eval('#matrix td.cell', (tds) => tds.map((td) => td.className).sort())).toEqual([...Array(4).fill('cell c-blocked'), ...Array(2).fill('cell c-reachable')]);
    await shot('seed');
    // A real click on the edge's label, as a person would.
    await page.click('#map g.edge.share-none text');
    await page.waitForFunction(() => document.querySelector('#detail')?.textContent?.includes('DOCKER-ISOLATION-STAGE-2'), { timeout: 30_000 });
    const detail = await page.$eval('#detail', (d) => d.textContent ?? '');
    expect(detail).toMatch(/blocked/);
    expect(detail).toContain('Ranked fixes');
    expect(detail).toContain('DOCKER-USER');
    // Read-only: the agent has a token, but none was supplied, so there is no apply button.
    expect(await page.$$('#detail button[data-fix]')).toHaveLength(0);
    await shot('seed-why');
  });

  it('a cell of the matrix explains its pair; with the token typed in, the fixes can be applied', async () => {
    await page.type('#token', TOKEN);
    await page.keyboard.press('Tab');
    const cell = await page.$('#matrix td.cell[data-from="alpine-01"][data-to="redis-1"]');
    expect(cell).not.toBeNull();
    await cell!.click();
    await page.waitForFunction(() => document.querySelectorAll('#detail button[data-fix]').length > 0, { timeout: 30_000 });
    expect(await page.$eval('#detail h3', (x) => x.textContent)).toMatch(/alpine-01 → redis-1: blocked/);
  });

  it('follows the agent\'s refreshes: after a network connect, the edge into net-redis is no longer blocked', async () => {
    await h.docker(['network', 'connect', 'net-redis', 'alpine-01']);
    try {
      // The agent refreshes on Docker's event; the page notices the new snapshot on its next poll and redraws.
      await page.waitForFunction(() => document.querySelectorAll('#map g.edge.share-none').length < 2, { timeout: 60_000 });
      const texts = await page.$$eval('#map svg text', (ts) => ts.map((t) => t.textContent ?? ''));
      expect(texts.filter((t) => t === 'alpine-01')).toHaveLength(2);
      await shot('after-connect');
    } finally {
      await h.docker(['network', 'disconnect', 'net-redis', 'alpine-01']);
    }
  });
});
