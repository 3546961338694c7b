// Debian's chromium driven by puppeteer-core for the web view's browser tests: where it is, why a test skips, and a
// launch in this namespace or a lab host's (nsenter is what puppeteer starts; it runs chromium with puppeteer's args).
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import type { Browser, Page } from 'puppeteer-core';
import { REPO } from './lab.js';

export const CHROMIUM = '/usr/bin/chromium';
/** Screenshots are kept as test artifacts (CI uploads the directory). */
export const ARTIFACTS = join(REPO, 'test-artifacts');

export function chromiumMissing(): string | null {
  if (existsSync(CHROMIUM)) return null;
  const why = `the browser test needs ${CHROMIUM}: apt-get install chromium`;
  if (process.env.NETDIAG_LAB_REQUIRED) throw new Error(`NETDIAG_LAB_REQUIRED is set but ${why}`);
  return why;
}

export async function launch(netns?: string): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const args = await puppeteer.defaultArgs({ headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', `--user-data-dir=${mkdtempSync(join(tmpdir(), 'netdiag-chromium-'))}`] });
  if (!netns) return puppeteer.launch({ executablePath: CHROMIUM, ignoreDefaultArgs: true, pipe: true, args });
  return puppeteer.launch({ executablePath: '/usr/bin/nsenter', ignoreDefaultArgs: true, pipe: true, args: [`--net=/run/netns/${netns}`, CHROMIUM, ...args] });
}

/** Uncaught errors of the pages' scripts. */
export const pageErrors: string[] = [];

export async function newPage(browser: Browser, width = 1400, height = 1000): Promise<Page> {
  const page = await browser.newPage();
  await page.setViewport({ width, height });
  // A script error on the page is kept: each test file asserts there were none.
  page.on('pageerror', (e) => pageErrors.push(e instanceof Error ? e.message : String(e)));
  // So is anything the agent's Content-Security-Policy refused (an inline script, style or fetch the page needed).
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) pageErrors.push(`CSP: ${m.text()}`);
  });
  return page;
}

/** A screenshot kept as test-artifacts/ui-NAME.png: the whole page, or (a page taller than chromium renders in one go) the viewport. */
export const shot = (page: Page, name: string, fullPage = true) => page.screenshot({ path: join(ARTIFACTS, `ui-${name}.png`), fullPage });

export async function ready(page: Page, url: string): Promise<void> {
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="1"]', { timeout: 60_000 });
}

/** What the detail panel says, once it says `text`. */
export async function detailSays(page: Page, text: string): Promise<string> {
  await page.waitForFunction((t) => document.querySelector('#detail')?.textContent?.includes(t), { timeout: 60_000 }, text);
  return page.$eval('#detail', (d) => d.textContent ?? '');
}
