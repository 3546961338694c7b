// Lab: the host↔macvlan shim for real. A host on the LAN with a macvlan network on its eth0: the host cannot reach its
// own macvlan container; `netdiag fix` proposes the shim, `--apply` makes it and the live probe passes, and rollback
// leaves `ip -d link`, `ip addr` and `ip route` exactly as they were. Doctor names the isolation before, not after.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, labUnavailable } from './lab.js';
import type { LabHost } from './lab.js';

const skip = labUnavailable();
if (skip) console.warn(`SKIPPED lab tests: ${skip}`);

/**
 * What the shim changes and its rollback must give back: links (with their details), addresses, routes. A bridge's
 * running timers (gc_timer, forward_delay_timer …) tick between two readings: they are time, not state.
 */
async function linkState(h: LabHost): Promise<string> {
  const [links, addrs, routes] = await Promise.all([h.mustExec('ip', ['-d', 'link']), h.mustExec('ip', ['addr']), h.mustExec('ip', ['route'])]);
  return `${links.replace(/(_timer)\s+[\d.]+/g, '$1')}\n${addrs}\n${routes}`;
}

interface FixList {
  status: string;
  fixes: { id: string; kind: string; title: string; commands: string[]; alsoOpens: string[]; predicted: { forward: string; reverse: string }; persistence: { reboot: boolean; keep: string } }[];
}

describe.skipIf(skip !== null)('the macvlan host shim: fix, apply, verify, roll back', () => {
  let lab: Lab;
  let h: LabHost;
  let peer: LabHost;
  let state: string;
  const env = () => ({ NETDIAG_STATE_DIR: state });
  const probe = async (a: string, b: string) => (await h.netdiag(['probe', a, b], 30_000, env())).exitCode;
  beforeAll(async () => {
    lab = await Lab.create();
    // The LAN: the Docker host at .2, a plain machine at .9 (what the host's LAN traffic must still reach).
    [h, peer] = await Promise.all([lab.host('mvhost', { lan: '10.77.0.2/24' }), lab.host('lanpeer', { lan: '10.77.0.9/24', docker: false })]);
    await h.docker(['network', 'create', '-d', 'macvlan', '--subnet', '10.77.0.0/24', '--gateway', '10.77.0.1', '--ip-range', '10.77.0.128/25', '-o', 'parent=eth0', 'lan-mv']);
    await h.run('web-mv', { network: 'lan-mv' });
    await h.run('c-br');
    state = mkdtempSync(join(tmpdir(), 'netdiag-state-'));
  });
  afterAll(async () => {
    await lab?.teardown();
  });

  it('before: the host and its bridge container cannot reach the macvlan container, nor it the host; the LAN can', async () => {
    expect(await probe('host', 'web-mv')).toBe(1);
    expect(await probe('c-br', 'web-mv')).toBe(1);
    expect(await probe('web-mv', '10.77.0.2')).toBe(1);
    expect((await h.netdiag(['why', 'web-mv', '10.77.0.2'], 30_000, env())).exitCode).toBe(1);
    expect((await peer.exec('ping', ['-c1', '-W1', '10.77.0.128'])).exitCode).toBe(0);
    const doctor = JSON.parse((await h.netdiag(['doctor', '--json'], 30_000, env())).stdout) as { findings: { code: string; subject?: string; fix: string }[] };
    const f = doctor.findings.find((x) => x.code === 'parent-isolation');
    expect(f?.subject).toBe('lan-mv');
    expect(f?.fix).toMatch(/^ip link add mv-lan-mv link eth0 type macvlan mode bridge; ip addr add 10\.77\.0\.127\/32 dev mv-lan-mv; ip link set mv-lan-mv up; ip route add 10\.77\.0\.128\/25 dev mv-lan-mv/);
  });

  it('netdiag why host web-mv is blocked, and fix proposes the shim, predicted to work both ways', async () => {
    expect((await h.netdiag(['why', 'host', 'web-mv'], 30_000, env())).exitCode).toBe(1);
    const r = await h.netdiag(['fix', 'host', 'web-mv', '--json'], 30_000, env());
    expect(r.exitCode, r.stderr).toBe(0);
    const list = JSON.parse(r.stdout) as FixList;
    expect(list.status).toBe('fixes');
    const shim = list.fixes[0]!;
    expect(shim.kind).toBe('macvlan-shim');
    expect(shim.commands).toEqual(['ip link add mv-lan-mv link eth0 type macvlan mode bridge', 'ip addr add 10.77.0.127/32 dev mv-lan-mv', 'ip link set mv-lan-mv up', 'ip route add 10.77.0.128/25 dev mv-lan-mv']);
    expect(shim.predicted.forward).toBe('reachable');
    expect(shim.persistence.reboot).toBe(false);
    // It opens the bridge container's way too: applying it needs --yes.
    expect(shim.alsoOpens).toContain('c-br → web-mv');
  });

  it('--apply: verified by the live probe, the host and its bridge container reach web-mv, the LAN still works; rollback restores links, addresses and routes exactly', async () => {
    const before = await linkState(h);
    const applied = await h.netdiag(['fix', 'host', 'web-mv', '--apply', '--yes', '--json'], 60_000, env());
    expect(applied.exitCode, applied.stderr).toBe(0);
    const r = JSON.parse(applied.stdout) as { id: string; status: string; verified: boolean; verification: string };
    expect(r).toMatchObject({ status: 'applied', verified: true });
    expect(r.verification).toMatch(/10\.77\.0\.128 reachable/);
    expect(await probe('host', 'web-mv')).toBe(0);
    expect(await probe('c-br', 'web-mv')).toBe(0);
    expect(await h.probe('web-mv', '10.77.0.127')).toBe(true);
    // Back too, to the host's own eth0 address: the host answers ARP for it on the shim (arp_ignore 0); model and probe agree.
    expect(await probe('web-mv', '10.77.0.2')).toBe(0);
    expect((await h.netdiag(['why', 'web-mv', '10.77.0.2'], 30_000, env())).exitCode).toBe(0);
    // The host's own LAN traffic still leaves by eth0: the route covers the range only.
    expect((await h.exec('ping', ['-c1', '-W1', '10.77.0.9'])).exitCode).toBe(0);
    expect((await h.mustExec('ip', ['route', 'get', '10.77.0.9'])).trim()).toMatch(/dev eth0 src 10\.77\.0\.2/);
    expect((await h.netdiag(['why', 'host', 'web-mv'], 30_000, env())).exitCode).toBe(0);
    const doctor = JSON.parse((await h.netdiag(['doctor', '--json'], 30_000, env())).stdout) as { findings: { code: string }[] };
    expect(doctor.findings.map((f) => f.code)).not.toContain('parent-isolation');

    const rolled = await h.netdiag(['rollback', r.id, '--json'], 60_000, env());
    expect(rolled.exitCode, rolled.stderr).toBe(0);
    expect(JSON.parse(rolled.stdout)).toMatchObject({ id: r.id, status: 'rolled-back' });
    expect(await linkState(h)).toBe(before);
    expect(await probe('host', 'web-mv')).toBe(1);
  });

  it('bad input: a fix ID that no longer fits the host (its shim name now taken) is refused, one line, exit 2, nothing changed', async () => {
    const id = (JSON.parse((await h.netdiag(['fix', 'host', 'web-mv', '--json'], 30_000, env())).stdout) as FixList).fixes[0]!.id;
    await h.mustExec('ip', ['link', 'add', 'mv-lan-mv', 'type', 'veth', 'peer', 'name', 'mv-peer']);
    try {
      const before = await linkState(h);
      // The shim now proposed takes another name; the old ID is not a fix for this host any more.
      const list = JSON.parse((await h.netdiag(['fix', 'host', 'web-mv', '--json'], 30_000, env())).stdout) as FixList;
      expect(list.fixes[0]!.commands[0]).toBe('ip link add mv-lan-mv-2 link eth0 type macvlan mode bridge');
      const r = await h.netdiag(['fix', 'host', 'web-mv', '--apply', '--yes', '--fix', id], 60_000, env());
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^netdiag: no fix ${id} for host → web-mv`));
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(await linkState(h)).toBe(before);
    } finally {
      await h.mustExec('ip', ['link', 'del', 'mv-lan-mv']);
    }
  });
});
