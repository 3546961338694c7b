// The map's screenshots for the README (docs/map-seed.png, map-swarm.png, map-500.png): the SVG `netdiag map` draws, opened as a
// file:// page in Debian's chromium (puppeteer-core, no browser download) and captured at its own size.
// Run: npm run build && node dist/bench/map-shots.js
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import { renderMap } from '../present/map/render.js';
import { buildWorld } from '../rules/model/build.js';
import { PING } from '../rules/query/flow.js';
import { parseSnapshot } from '../snapshot/host-snapshot.js';
import { REPO } from '../test/lab/lab.js';
import { mapFleet } from './synthetic.js';

const CHROMIUM = '/usr/bin/chromium';

async function main(): Promise<void> {
  const load = (f: string) => parseSnapshot(JSON.parse(readFileSync(join(REPO, f), 'utf8')));
  const maps: [string, string][] = [
    ['map-seed.png', (await renderMap(buildWorld([load('examples/seed-host.json')]), PING, 'svg')).text],
    ['map-swarm.png', (await renderMap(buildWorld([load('test/fixtures/captured/swarm/a-h1.json'), load('test/fixtures/captured/swarm/a-h2.json')]), PING, 'svg')).text],
    ['map-500.png', (await renderMap(buildWorld(mapFleet()), PING, 'svg')).text],
  ];
  const dir = mkdtempSync(join(tmpdir(), 'netdiag-shots-'));
  const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', `--user-data-dir=${join(dir, 'profile')}`] });
  try {
    for (const [name, svg] of maps) {
      const file = join(dir, `${name}.html`);
      writeFileSync(file, `<!doctype html><meta charset="utf-8"><body style="margin:0;background:#fff">${svg}</body>`);
      const page = await browser.newPage();
      await page.goto(`file://${file}`);
      // The page as wide as the picture (capped, so a huge map stays a file a README can show).
      // Evaluated in the page (a string: this project compiles without the DOM's types).
      const { w, h } = (await page.evaluate('(() => { const r = document.querySelector("svg").getBoundingClientRect(); return { w: Math.ceil(r.width), h: Math.ceil(r.height) }; })()')) as { w: number; h: number };
      const width = Math.min(w, 2000);
      await page.setViewport({ width, height: Math.ceil((h * width) / w), deviceScaleFactor: 1 });
      if (w > width) await page.evaluate(`(() => { const s = document.querySelector("svg"); s.setAttribute("width", "${width}px"); s.removeAttribute("height"); })()`);
      await page.screenshot({ path: join(REPO, 'docs', name), fullPage: true });
      console.log(`wrote docs/${name} (${w}×${h} pt picture)`);
      await page.close();
    }
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
