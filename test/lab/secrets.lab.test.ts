// Lab, issue 27: no secrets served. A real dockerd holds Traefik's basic-auth users in a label, a vendor's key in a
// network option and label, a password in a container's environment and command line (secretsScenario): `netdiag
// snapshot` and the live agent's /v1/snapshot carry none of them; --keep-labels 'traefik.*' brings back that label only.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, NETDIAG_BIN, labUnavailable, nodeFlags, until } from './lab.js';
import type { LabHost } from './lab.js';
import { SECRETS, secretsScenario } from './scenarios.js';

const skip = labUnavailable();
if (skip) {
  if (process.env.NETDIAG_LAB_REQUIRED) throw new Error(`NETDIAG_LAB_REQUIRED is set but: ${skip}`);
  console.warn(`SKIPPED secrets lab tests: ${skip}`);
}

const HASH = SECRETS.users.split(':')[1] as string;
const MARKERS = [HASH, SECRETS.env.split('=')[1] as string, SECRETS.arg, SECRETS.netOption.split('=')[1] as string, SECRETS.netLabel.split('=')[1] as string];

describe.skipIf(skip !== null)('no secrets in what netdiag writes or serves (real dockerd)', () => {
  let lab: Lab;
  let h: LabHost;
  beforeAll(async () => {
    lab = await Lab.create();
    h = await secretsScenario(lab);
  });
  afterAll(async () => {
    await lab?.teardown();
  });

  it('Docker does hold them: docker inspect shows every marker', async () => {
    const raw = (await h.docker(['inspect', 'web'])) + (await h.docker(['network', 'inspect', 'net-sec']));
    for (const m of MARKERS) expect(raw).toContain(m);
  });

  it('netdiag snapshot: none of them, compose\'s labels and the macvlan\'s parent kept, the drops counted', async () => {
    const r = await h.netdiag(['snapshot']);
    expect(r.exitCode, r.stderr).toBe(0);
    for (const m of MARKERS) expect(r.stdout).not.toContain(m);
    const s = JSON.parse(r.stdout);
    const web = s.docker.containers.find((c: { name: string }) => c.name === 'web');
    expect(web.labels['com.docker.compose.service']).toBe('web');
    expect(s.docker.networks.find((n: { name: string }) => n.name === 'lan-sec').options.parent).toBe('eth0');
    expect(s.docker.dropped).toEqual({ labels: 4, options: 1, keepLabels: [] });
  });

  it('netdiag snapshot --keep-labels \'traefik.*\': Traefik\'s label kept, the rest still gone', async () => {
    const r = await h.netdiag(['snapshot', '--keep-labels', 'traefik.*']);
    expect(r.exitCode, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.docker.containers.find((c: { name: string }) => c.name === 'web').labels[SECRETS.label]).toBe(SECRETS.users);
    for (const m of MARKERS.slice(1)) expect(r.stdout).not.toContain(m);
    expect(s.docker.dropped).toEqual({ labels: 3, options: 1, keepLabels: ['traefik.*'] });
  });

  it('netdiag snapshot --record: the raw answers for a bug report hold none of them either', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netdiag-secrets-rec-'));
    const r = await h.netdiag(['snapshot', '--out', join(dir, 's.json'), '--record', join(dir, 'rec.json')]);
    expect(r.exitCode, r.stderr).toBe(0);
    const rec = readFileSync(join(dir, 'rec.json'), 'utf8');
    // It is a recording of this host: web's inspect answer is in it.
    expect(rec).toContain('"/web"');
    for (const m of MARKERS) expect(rec).not.toContain(m);
  });

  it('the live agent\'s /v1/snapshot carries none of them; agent --snapshot over an every-label file neither', async () => {
    const { daemon } = await h.startAgent('secrets-token-0123456789abcdef');
    try {
      const live = await h.http('http://127.0.0.1:9700/v1/snapshot');
      expect(live.status).toBe(200);
      for (const m of MARKERS) expect(live.body).not.toContain(m);
      expect(JSON.parse(live.body).docker.dropped.labels).toBe(4);
    } finally {
      await daemon.stop();
    }
    // What netdiag wrote when asked for every label: the agent serving it is not asked, so it does not serve them.
    const dir = mkdtempSync(join(tmpdir(), 'netdiag-secrets-'));
    const all = await h.netdiag(['snapshot', '--keep-labels', '*']);
    expect(all.stdout).toContain(HASH);
    writeFileSync(join(dir, 'all.json'), all.stdout);
    const review = h.startDaemon(process.execPath, [...nodeFlags(), NETDIAG_BIN, 'agent', '--snapshot', join(dir, 'all.json'), '--listen', '127.0.0.1:9701'], join(dir, 'review.log'));
    try {
      const served = await until('the review agent', async () => {
        const r = await h.http('http://127.0.0.1:9701/v1/snapshot').catch(() => null);
        return r?.status === 200 ? r : null;
      });
      for (const m of MARKERS) expect(served.body).not.toContain(m);
      expect(JSON.parse(served.body).docker.dropped).toEqual({ labels: 4, options: 1, keepLabels: [] });
    } finally {
      expect(await review.stop()).toBe(0);
    }
  });
});
