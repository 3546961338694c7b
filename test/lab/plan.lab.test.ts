// Lab: cross-host routing plans on two and three real hosts — blocked before, applied through the agents,
// probes pass both ways between every pair of hosts, the model agrees, rollback restores everything.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, NETDIAG_BIN, labUnavailable } from './lab.js';
import type { LabHost } from './lab.js';
import { agreement } from './agreement.js';

const skip = labUnavailable();
if (skip) console.warn(`SKIPPED lab tests: ${skip}`);
const TOKEN = 'plan-token-0123456789abcdef0123456789ab';
const ping = { proto: 'icmp' as const, port: null };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Site {
  h: LabHost;
  lan: string;
  url: string;
}

async function hostState(h: LabHost): Promise<string> {
  const rules = (await h.mustExec('iptables-save', [])).split('\n').filter((l) => !l.startsWith('#')).map((l) => l.replace(/ \[\d+:\d+\]$/, ''));
  return `${rules.join('\n')}\n${await h.mustExec('ip', ['route', 'show'])}`;
}

async function startSites(lab: Lab, specs: { name: string; bip?: string; lan: string }[], dir: string): Promise<Site[]> {
  writeFileSync(join(dir, 'token'), `${TOKEN}\n`);
  chmodSync(join(dir, 'token'), 0o600);
  const hosts = await Promise.all(specs.map((s) => lab.host(s.name, { bip: s.bip, lan: `${s.lan}/24` })));
  const sites = hosts.map((h, i) => ({ h, lan: specs[i]!.lan, url: `http://${specs[i]!.lan}:9700` }));
  for (const s of sites) {
    await s.h.run(`${s.h.name}-c1`);
    s.h.startDaemon(process.execPath, [NETDIAG_BIN, 'agent', '--listen', `${s.lan}:9700`, '--insecure-http', '--token-file', join(dir, 'token'), '--state-dir', join(dir, `state-${s.h.name}`), '--host-name', s.h.name, '--refresh', '5m'], join(dir, `agent-${s.h.name}.log`));
  }
  for (const s of sites) for (let i = 0; i < 100 && (await s.h.http(`${s.url}/readyz`).catch(() => ({ status: 0 }))).status !== 200; i++) await sleep(200);
  return sites;
}

/** Run the CLI from the first host, which reaches every agent over the LAN. */
function cli(sites: Site[], args: string[], dir: string) {
  return sites[0]!.h.netdiag(args, 180_000, { NETDIAG_TOKEN: TOKEN, NETDIAG_STATE_DIR: join(dir, 'cli-state') });
}

function planAndApply(label: string, specs: { name: string; bip: string; lan: string }[], shape: 'per-host' | 'shared' | null = null) {
  describe.skipIf(skip !== null)(label, () => {
    let lab: Lab;
    let sites: Site[];
    let dir: string;
    let before: string[];
    const agents = () => sites.flatMap((s) => ['--agent', s.url]);

    beforeAll(async () => {
      lab = await Lab.create();
      dir = mkdtempSync(join(tmpdir(), 'netdiag-plan-'));
      sites = await startSites(lab, specs, dir);
      before = await Promise.all(sites.map((s) => hostState(s.h)));
    });
    afterAll(async () => {
      await lab?.teardown();
    });

    it('is blocked before, in the model and in reality', async () => {
      const a = await agreement(sites.map((s) => s.h), ping, `${label}: before`);
      expect(a.disagreements).toEqual([]);
      const r = await cli(sites, ['why', `${specs[0]!.name}/${specs[0]!.name}-c1`, `${specs[1]!.name}/${specs[1]!.name}-c1`, ...agents()], dir);
      expect(r.exitCode, r.stderr).toBe(1);
    });

    it('plans, applies through the agents, and every pair of hosts reaches each other both ways', async () => {
      const planned = await cli(sites, ['plan', 'routes', ...agents(), ...(shape ? ['--shape', shape] : []), '--out', join(dir, 'plan.json'), '--json'], dir);
      expect(planned.exitCode, planned.stderr).toBe(0);
      expect(JSON.parse(planned.stdout).schema).toBe(shape === 'shared' ? 'netdiag/plan@2' : 'netdiag/plan@1');
      const applied = await cli(sites, ['apply', join(dir, 'plan.json'), '--json'], dir);
      expect(applied.exitCode, `${applied.stdout}\n${applied.stderr}`).toBe(0);
      const a = await agreement(sites.map((s) => s.h), ping, `${label}: after the plan`);
      expect(a.disagreements).toEqual([]);
      expect(a.table.filter((l) => / probe reachable/.test(l))).toHaveLength(a.total);
      const tcp = await agreement(sites.map((s) => s.h), { proto: 'tcp', port: 80 }, `${label}: after the plan`);
      expect(tcp.disagreements).toEqual([]);
      // Applying it again changes nothing.
      const again = await cli(sites, ['apply', join(dir, 'plan.json'), '--json'], dir);
      expect(JSON.parse(again.stdout).status).toBe('already-applied');
    });

    it('rollback restores the blocked state exactly', async () => {
      const id = JSON.parse((await import('node:fs')).readFileSync(join(dir, 'plan.json'), 'utf8')).id;
      const r = await cli(sites, ['rollback', id], dir);
      expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(await Promise.all(sites.map((s) => hostState(s.h)))).toEqual(before);
      const a = await agreement(sites.map((s) => s.h), ping, `${label}: rolled back`);
      expect(a.disagreements).toEqual([]);
      expect(a.table.filter((l) => / probe blocked/.test(l))).toHaveLength(a.total);
    });
  });
}

planAndApply('two hosts (bips 192.168.100.1/24 and 192.168.200.1/24)', [
  { name: 'h1', bip: '192.168.100.1/24', lan: '10.99.0.1' },
  { name: 'h2', bip: '192.168.200.1/24', lan: '10.99.0.2' },
]);
planAndApply('three hosts', [
  { name: 'h1', bip: '192.168.100.1/24', lan: '10.99.0.1' },
  { name: 'h2', bip: '192.168.200.1/24', lan: '10.99.0.2' },
  { name: 'h3', bip: '192.168.150.1/24', lan: '10.99.0.3' },
]);

// The same three hosts with the plan written as one shared table (netdiag/plan@2, what fleets past 10,000 steps get):
// apply expands it into each host's steps, and applies, verifies and rolls back as above.
planAndApply('three hosts, the plan as one shared table', [
  { name: 'h1', bip: '192.168.100.1/24', lan: '10.99.0.1' },
  { name: 'h2', bip: '192.168.200.1/24', lan: '10.99.0.2' },
  { name: 'h3', bip: '192.168.150.1/24', lan: '10.99.0.3' },
], 'shared');

describe.skipIf(skip !== null)('overlapping default subnets, and an asymmetric setup', () => {
  let lab: Lab;
  let sites: Site[];
  let dir: string;
  beforeAll(async () => {
    lab = await Lab.create();
    dir = mkdtempSync(join(tmpdir(), 'netdiag-plan-'));
    sites = await startSites(lab, [{ name: 'o1', lan: '10.98.0.1' }, { name: 'o2', lan: '10.98.0.2' }, { name: 'o3', bip: '192.168.200.1/24', lan: '10.98.0.3' }], dir);
  });
  afterAll(async () => {
    await lab?.teardown();
  });

  it('detects two hosts both on 172.17.0.0/16, plans the bip change first, and apply refuses until it is done', async () => {
    const planned = await cli(sites, ['plan', 'routes', '--agent', sites[0]!.url, '--agent', sites[1]!.url, '--out', join(dir, 'overlap.json'), '--json'], dir);
    expect(planned.exitCode, planned.stderr).toBe(0);
    const plan = JSON.parse((await import('node:fs')).readFileSync(join(dir, 'overlap.json'), 'utf8'));
    expect(plan.prerequisites).toEqual([expect.objectContaining({ host: 'o2', kind: 'bip', disruptive: true })]);
    const applied = await cli(sites, ['apply', join(dir, 'overlap.json')], dir);
    expect(applied.exitCode).toBe(2);
    expect(applied.stderr).toMatch(/^netdiag: the plan needs disruptive changes first: o2's default bridge 172\.17\.0\.0\/16 overlaps o1's/);
  });

  it('a route on one side only: the model predicts both directions as the probes find them', async () => {
    const [o1, , o3] = sites as [Site, Site, Site];
    await o1.h.mustExec('ip', ['route', 'add', '192.168.200.0/24', 'via', o3.lan]);
    await o3.h.mustExec('iptables', ['-I', 'DOCKER-USER', '-s', `${o1.lan}/32`, '-j', 'ACCEPT']);
    const a = await agreement([o1.h, o3.h], ping, 'asymmetric route');
    expect(a.disagreements).toEqual([]);
    expect(a.table).toEqual(expect.arrayContaining([expect.stringMatching(/^o1\/o1-c1 → o3\/o3-c1 \S+: model reachable, probe reachable$/), expect.stringMatching(/^o3\/o3-c1 → o1\/o1-c1 \S+: model blocked, probe blocked$/)]));
  });
});

// A plan as large as a 500-host fleet gives each host (about 2,000 steps: routes and accepts), through real agents:
// the body past the agent's 64 KB of other routes, the steps batched (ip -batch, iptables-restore), verified, probed,
// applied again as already applied, and rolled back to exactly the state before. The two real hosts' plan, with
// 1,000 routes to unused subnets via the peer and 1,000 accepts more on each host under the plan's own ID.
describe.skipIf(skip !== null)('two hosts, each with the 2,000 steps of a 500-host plan', () => {
  let lab: Lab;
  let sites: Site[];
  let dir: string;
  let before: string[];
  const EXTRA = 1_000;
  beforeAll(async () => {
    lab = await Lab.create();
    dir = mkdtempSync(join(tmpdir(), 'netdiag-plan-'));
    sites = await startSites(lab, [{ name: 'b1', bip: '192.168.100.1/24', lan: '10.97.0.1' }, { name: 'b2', bip: '192.168.200.1/24', lan: '10.97.0.2' }], dir);
    before = await Promise.all(sites.map((s) => hostState(s.h)));
  });
  afterAll(async () => {
    await lab?.teardown();
  });

  it('applies through the agents, every pair reaches the other, again changes nothing, rollback restores exactly', async () => {
    const agents = sites.flatMap((s) => ['--agent', s.url]);
    const planned = await cli(sites, ['plan', 'routes', ...agents, '--out', join(dir, 'small.json'), '--json'], dir);
    expect(planned.exitCode, planned.stderr).toBe(0);
    const { readFileSync } = await import('node:fs');
    const plan = JSON.parse(readFileSync(join(dir, 'small.json'), 'utf8')) as { id: string; hosts: { name: string; steps: Record<string, unknown>[] }[] };
    for (const [i, h] of plan.hosts.entries()) {
      const route = h.steps.find((s) => s.kind === 'ip-route-add')!;
      const accept = h.steps.find((s) => s.kind === 'iptables-insert')!;
      const peer = sites[1 - i]!.lan;
      const extra = Array.from({ length: EXTRA }, (_, k) => `10.${200 + (k >> 8)}.${k & 255}.0/24`);
      const rule = accept.rule as string[];
      h.steps = [
        ...h.steps.filter((s) => s.kind !== 'iptables-insert'),
        ...extra.map((dst) => ({ ...route, dst, via: peer })),
        accept,
        ...extra.map((src) => ({ ...accept, rule: rule.map((w, j) => (rule[j - 1] === '-s' ? src : w)) })),
      ];
    }
    writeFileSync(join(dir, 'plan.json'), JSON.stringify(plan));
    const applied = await cli(sites, ['apply', join(dir, 'plan.json'), '--json'], dir);
    expect(applied.exitCode, `${applied.stdout}\n${applied.stderr}`).toBe(0);
    for (const s of sites) {
      const routes = (await s.h.mustExec('ip', ['route', 'show'])).split('\n').filter((l) => / via /.test(l));
      expect(routes.length).toBeGreaterThanOrEqual(EXTRA + 1);
      const accepts = (await s.h.mustExec('iptables', ['-S', 'DOCKER-USER'])).split('\n').filter((l) => l.includes(`netdiag:${plan.id}`));
      expect(accepts.length).toBeGreaterThanOrEqual(EXTRA + 1);
    }
    const a = await agreement(sites.map((s) => s.h), ping, 'a 2,000-step plan');
    expect(a.disagreements).toEqual([]);
    expect(a.table.filter((l) => / probe reachable/.test(l))).toHaveLength(a.total);
    const again = await cli(sites, ['apply', join(dir, 'plan.json'), '--json'], dir);
    expect(JSON.parse(again.stdout).status).toBe('already-applied');
    const r = await cli(sites, ['rollback', plan.id], dir);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(await Promise.all(sites.map((s) => hostState(s.h)))).toEqual(before);
  });
});
