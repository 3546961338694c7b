// The web view's page as text: its script is valid JavaScript in both modes, it loads nothing from elsewhere, and the
// token has nowhere to go but a variable (the browser tests check the behaviour: test/lab/ui*.lab.test.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mapPage } from '../../../present/map/page.js';
import { renderMap } from '../../../present/map/render.js';
import { buildWorld } from '../../../rules/model/build.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import { parseFlow } from '../../../rules/query/flow.js';
import { REPO } from '../fixtures.js';

const scripts = (html: string) => [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
const data = (html: string) => JSON.parse(/<script type="application\/json" id="netdiag-data">(.*?)<\/script>/s.exec(html)![1]!);

describe('the web view page', () => {
  it('live: one inline script that parses, no script or stylesheet from elsewhere, the token kept out of storage, cookies and the URL', () => {
    const html = mapPage({ mode: 'live', title: 'netdiag', applyEnabled: true });
    const [js] = scripts(html);
    expect(scripts(html)).toHaveLength(1);
    expect(() => new Function(js!)).not.toThrow();
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
    expect(js).not.toMatch(/localStorage|sessionStorage|document\.cookie|indexedDB/);
    // Applying sends what the operator confirmed, never a blanket acceptWider.
    expect(js).toContain('body.confirmWider = f.alsoOpens');
    expect(js).not.toContain('acceptWider');
    expect(data(html)).toEqual({ mode: 'live', svg: null, topology: null, matrix: null, explained: {}, applyEnabled: true });
  });

  it('static (map --format html on the captured seed host): the script parses, and the embedded data holds the grid\'s makings and a traced pair per cell of the grid', async () => {
    const seed = parseSnapshot(JSON.parse(readFileSync(join(REPO, 'examples/seed-host.json'), 'utf8')));
    const { text } = await renderMap(buildWorld([seed]), parseFlow(undefined), 'html');
    expect(() => new Function(scripts(text)[0]!)).not.toThrow();
    const d = data(text);
    expect(d.mode).toBe('static');
    expect(d.matrix.map((p: { from: string; to: string; verdict: string }) => `${p.from}>${p.to} ${p.verdict}`).sort()).toEqual(['alpine-01>redis-1 blocked', 'alpine-01>redis-2 blocked', 'redis-1>alpine-01 blocked', 'redis-1>redis-2 reachable', 'redis-2>alpine-01 blocked', 'redis-2>redis-1 reachable']);
    // One traced pair per cell (bridge → net-redis, net-redis → bridge, net-redis itself), each with its answer.
    expect(Object.keys(d.explained).sort()).toEqual(['alpine-01\u0000redis-1', 'redis-1\u0000alpine-01', 'redis-1\u0000redis-2']);
    expect(d.explained['alpine-01\u0000redis-1'].why.verdict).toBe('blocked');
  });
});
