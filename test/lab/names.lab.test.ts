// Lab: names and families against a real dockerd — the host as a destination agrees with a ping from the container,
// a family the source lacks is what the kernel says too (no IPv6 to send from), and names as docker prints them work live.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, labUnavailable } from './lab.js';
import type { LabHost } from './lab.js';
import { mixedFamiliesScenario } from './scenarios.js';

const skip = labUnavailable();
if (skip) console.warn(`SKIPPED lab tests: ${skip}`);

describe.skipIf(skip !== null)('names and families on a live host (a6 dual-stack, c4 and d4 IPv4-only)', () => {
  let lab: Lab;
  let h: LabHost;
  beforeAll(async () => {
    lab = await Lab.create();
    h = await mixedFamiliesScenario(lab);
  });
  afterAll(async () => {
    await lab?.teardown();
  });

  it('why c4 host: reachable at net4\'s gateway, as a ping from inside c4 finds', async () => {
    const r = await h.netdiag(['why', 'c4', 'host', '--json']);
    expect(r.exitCode).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.addresses.map((a: { ip: string }) => a.ip)).toEqual(['172.31.0.1']);
    expect(await h.probe('c4', '172.31.0.1')).toBe(true);
  });

  it('why c4 a6 -6: "c4 has no IPv6 address", exit 2 — and inside c4 an IPv6 ping has nothing to send from', async () => {
    const r = await h.netdiag(['why', 'c4', 'a6', '-6']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^netdiag: c4 has no IPv6 address \(it has 172\.31\.0\.\d+ on net4\)/);
    const a6 = (await h.docker(['inspect', '-f', '{{.NetworkSettings.Networks.bridge.GlobalIPv6Address}}', 'a6'])).trim();
    expect(a6).toMatch(/^fd00:1::/);
    expect(await h.probe('c4', a6)).toBe(false);
  });

  it('/name and a one-character ID prefix, live', async () => {
    const ids = (await h.docker(['ps', '--no-trunc', '--format', '{{.ID}} {{.Names}}'])).trim().split('\n').map((l) => l.split(' ') as [string, string]);
    const unique = ids.find(([id]) => ids.filter(([x]) => x[0] === id[0]).length === 1);
    const r = await h.netdiag(['why', '/c4', unique ? unique[0][0]! : 'd4', '--json']);
    expect(JSON.parse(r.stdout).from.name).toBe('c4');
    if (unique) expect(JSON.parse(r.stdout).to.name).toBe(unique[1]);
  });
});
