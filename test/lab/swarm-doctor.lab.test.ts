// Lab (issue 25): doctor across a two-node swarm, each failure caused for real on a lab host — the data-path port and
// the gossip port closed in INPUT, the data path made unroutable, the underlay's MTU lowered, Docker's rules flushed as
// a firewalld reload does — and named; the swarm-ports fix applied through the journal, verified by a real overlay
// ping between the nodes, rolled back, the ping failing again and the rule set as it was.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotOf } from './agreement.js';
import { Lab, labUnavailable, until } from './lab.js';
import type { LabHost } from './lab.js';
import { applyChange } from '../../actuation/apply.js';
import { liveMutator } from '../../host/mutate.js';
import { runCommand } from '../../host/exec.js';
import { buildWorld } from '../../rules/model/build.js';
import { swarmPortsForDoctor } from '../../rules/changes/fix-kinds/swarm-ports.js';
import { stepCommand } from '../../rules/steps/command.js';
import type { PlanStep } from '../../snapshot/contract.js';

const skip = labUnavailable();
if (skip) console.warn(`SKIPPED lab tests: ${skip}`);

interface Found {
  code: string;
  host: string;
  subject?: string;
  title: string;
  evidence: string[];
  fix: string;
}

const SWARM = ['swarm-port-closed', 'swarm-data-path-unroutable', 'overlay-subnet-collision', 'overlay-mtu'];

describe.skipIf(skip !== null)('doctor across a two-node swarm', () => {
  let lab: Lab;
  let h1: LabHost;
  let h2: LabHost;
  let dir: string;
  let a2ip: string;
  beforeAll(async () => {
    lab = await Lab.create();
    dir = await mkdtemp(join(tmpdir(), 'netdiag-swarm-doctor-'));
    [h1, h2] = await Promise.all([lab.host('h1', { lan: '10.77.0.11/24', bip: '192.168.101.1/24' }), lab.host('h2', { lan: '10.77.0.12/24', bip: '192.168.102.1/24' })]);
    await h1.docker(['swarm', 'init', '--advertise-addr', '10.77.0.11']);
    const token = (await h1.docker(['swarm', 'join-token', '-q', 'worker'])).trim();
    await h2.docker(['swarm', 'join', '--token', token, '10.77.0.11:2377']);
    await h1.docker(['network', 'create', '-d', 'overlay', '--attachable', '--subnet', '10.60.1.0/24', 'ov1']);
    await h1.run('a1', { network: 'ov1' });
    await h2.run('a2', { network: 'ov1' });
    a2ip = await h2.ip('a2', 'ov1');
    await until('the overlay to carry a1 → a2', async () => ((await h1.probe('a1', a2ip)) ? true : null), 60_000);
  }, 180_000);
  afterAll(async () => {
    await lab?.teardown();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** doctor over both nodes' snapshots, as `netdiag doctor --snapshot h1 --snapshot h2 --json` prints it. */
  async function doctor(): Promise<Found[]> {
    const files = await Promise.all([h1, h2].map(async (h) => {
      const f = join(dir, `${h.name}.json`);
      await writeFile(f, JSON.stringify(await snapshotOf(h)));
      return f;
    }));
    const r = await h1.netdiag(['doctor', '--json', ...files.flatMap((f) => ['--snapshot', f])]);
    if (r.exitCode !== 0 && r.exitCode !== 1) throw new Error(`doctor exited ${r.exitCode}: ${r.stderr}`);
    return (JSON.parse(r.stdout) as { findings: Found[] }).findings;
  }
  const swarmOnly = (f: Found[]) => f.filter((x) => SWARM.includes(x.code));
  /** The filter table as iptables-save prints it, counters and the header's date left out. */
  const filterRules = async (h: LabHost) => (await h.mustExec('iptables-save', ['-t', 'filter'])).split('\n').filter((l) => !l.startsWith('#')).map((l) => l.replace(/\[\d+:\d+\]/, '')).join('\n');

  it('a working swarm: the overlay carries a1 → a2, and doctor says nothing about swarm', async () => {
    expect(await h1.probe('a1', a2ip)).toBe(true);
    expect(swarmOnly(await doctor())).toEqual([]);
  });

  it('udp 4789 dropped in h2\'s INPUT: the ping dies; doctor names the port, the rule and the peer; the swarm-ports fix opens it, verified by the ping, and rolls back exactly', async () => {
    await h2.mustExec('iptables', ['-I', 'INPUT', '-p', 'udp', '--dport', '4789', '-j', 'DROP']);
    try {
      expect(await h1.probe('a1', a2ip)).toBe(false);
      const f = swarmOnly(await doctor());
      const closed = f.filter((x) => x.code === 'swarm-port-closed');
      expect(closed).toHaveLength(1);
      expect(closed[0]).toMatchObject({ host: 'h2', subject: 'h1' });
      expect(closed[0]!.title).toMatch(/^h2 drops swarm port 4789\/udp \(overlay data path\) from h1 \(10\.77\.0\.11\): overlay traffic from h1 never reaches h2's containers/);
      expect(closed[0]!.evidence).toEqual([expect.stringMatching(/^10\.77\.0\.11 → 10\.77\.0\.12:4789\/udp \(VNI \d+, overlay ov1\) in on eth0: filter INPUT rule 1: -A INPUT -p udp -m udp --dport 4789 -j DROP$/)]);
      expect(closed[0]!.fix).toMatch(/^iptables -w -I INPUT -s 10\.77\.0\.11\/32 -d 10\.77\.0\.12\/32 -p udp --dport 4789 -m comment --comment netdiag:fx-[0-9a-f]{8} -j ACCEPT \(netdiag fix applies it/);
      console.log(`[swarm-doctor] doctor, 4789/udp closed on h2:\n${JSON.stringify(closed[0], null, 1)}`);
      console.log(`[swarm-doctor] netdiag doctor --snapshot h1.json --snapshot h2.json:\n${(await h1.netdiag(['doctor', '--snapshot', join(dir, 'h1.json'), '--snapshot', join(dir, 'h2.json')])).stdout}`);

      const before = await filterRules(h2);
      const world = buildWorld(await Promise.all([snapshotOf(h1), snapshotOf(h2)]));
      const [doctors] = swarmPortsForDoctor(world);
      // why and fix over both nodes' snapshots: the drop is the VXLAN packet's, and the fix is this accept, predicted.
      const snaps = ['h1', 'h2'].flatMap((n) => ['--snapshot', join(dir, `${n}.json`)]);
      const whyJson = JSON.parse((await h1.netdiag(['why', 'a1', 'a2', '--json', ...snaps])).stdout) as { verdict: string; addresses: { ip: string; decidedBy: { tunnel?: unknown } | null }[] };
      expect(whyJson.verdict).toBe('blocked');
      expect(whyJson.addresses.find((x) => x.ip === a2ip)?.decidedBy?.tunnel).toEqual({ network: 'ov1', vni: expect.any(Number), src: '10.77.0.11', dst: '10.77.0.12', port: 4789 });
      const fixes = JSON.parse((await h1.netdiag(['fix', 'a1', 'a2', '--json', ...snaps])).stdout) as { fixes: { id: string; kind: string; steps: PlanStep[]; title: string; predicted: { forward: string; reverse: string } }[] };
      expect(fixes.fixes.map((f) => f.kind)).toEqual(['swarm-ports']);
      const fix = fixes.fixes[0];
      expect(fix).toMatchObject({ id: doctors!.id, predicted: { forward: 'reachable', reverse: 'reachable' } });
      console.log(`[swarm-doctor] netdiag fix a1 a2:\n${(await h1.netdiag(['fix', 'a1', 'a2', ...snaps])).stdout}`);
      expect(fix!.steps.map(stepCommand)).toEqual([expect.stringMatching(/^iptables -w -I INPUT -s 10\.77\.0\.11\/32 -d 10\.77\.0\.12\/32 -p udp --dport 4789 -m comment --comment netdiag:/)]);
      // Applied in h2's namespace through the journal, as `netdiag fix --apply` does; verified by the real overlay ping.
      const inH2 = liveMutator({ exec: (file, args, opts) => runCommand('nsenter', [`--net=/run/netns/${h2.netns}`, file, ...args], opts) });
      const state = join(dir, 'state');
      const r = await applyChange(
        { kind: 'fix', id: fix!.id, title: fix!.title, steps: fix!.steps, context: { from: 'a1', to: a2ip } },
        { stateDir: state, host: inH2, progress: () => undefined, verify: async () => ({ ok: await h1.probe('a1', a2ip), detail: 'overlay ping a1 → a2' }) },
      );
      expect(r).toMatchObject({ status: 'applied', verified: true });
      console.log(`[swarm-doctor] applied ${fix!.id}: ${JSON.stringify(r)}`);
      expect(swarmOnly(await doctor()).filter((x) => x.code === 'swarm-port-closed')).toEqual([]);

      const back = await h2.netdiag(['rollback', fix!.id, '--state-dir', state, '--json']);
      expect(back.exitCode).toBe(0);
      console.log(`[swarm-doctor] rollback: ${back.stdout}`);
      expect(await h1.probe('a1', a2ip)).toBe(false);
      expect(await filterRules(h2)).toBe(before);
    } finally {
      await h2.exec('iptables', ['-D', 'INPUT', '-p', 'udp', '--dport', '4789', '-j', 'DROP']);
    }
    await until('the overlay to carry a1 → a2 again', async () => ((await h1.probe('a1', a2ip)) ? true : null), 30_000);
  });

  it('7946 (tcp and udp) dropped in the manager\'s INPUT: doctor names both gossip ports on h1, for h2', async () => {
    for (const p of ['tcp', 'udp']) await h1.mustExec('iptables', ['-I', 'INPUT', '-p', p, '--dport', '7946', '-j', 'DROP']);
    try {
      const closed = swarmOnly(await doctor()).filter((x) => x.code === 'swarm-port-closed');
      expect(closed).toHaveLength(1);
      expect(closed[0]).toMatchObject({ host: 'h1', subject: 'h2' });
      expect(closed[0]!.title).toMatch(/^h1 drops swarm ports 7946\/tcp \(node gossip\), 7946\/udp \(node gossip\) from h2 \(10\.77\.0\.12\)/);
      expect(closed[0]!.evidence).toEqual([
        '10.77.0.12 → 10.77.0.11:7946/tcp in on eth0: filter INPUT rule 2: -A INPUT -p tcp -m tcp --dport 7946 -j DROP',
        '10.77.0.12 → 10.77.0.11:7946/udp in on eth0: filter INPUT rule 1: -A INPUT -p udp -m udp --dport 7946 -j DROP',
      ]);
    } finally {
      for (const p of ['tcp', 'udp']) await h1.exec('iptables', ['-D', 'INPUT', '-p', p, '--dport', '7946', '-j', 'DROP']);
    }
  });

  it('h2 without a route to h1\'s data-path address: the overlay ping dies, doctor names the unroutable data path', async () => {
    await h2.mustExec('ip', ['route', 'add', 'unreachable', '10.77.0.11/32']);
    try {
      expect(await h1.probe('a1', a2ip)).toBe(false);
      const f = swarmOnly(await doctor()).filter((x) => x.code === 'swarm-data-path-unroutable');
      expect(f).toHaveLength(1);
      expect(f[0]).toMatchObject({ host: 'h2', subject: 'h1' });
      expect(f[0]!.title).toMatch(/^h2 has a unreachable route to h1's data-path address 10\.77\.0\.11/);
    } finally {
      await h2.exec('ip', ['route', 'del', 'unreachable', '10.77.0.11/32']);
    }
  });

  it('h2\'s eth0 MTU lowered to 1400: doctor names every overlay whose 1450 + 50 it cannot carry, with the MTU option for Docker', async () => {
    await h2.mustExec('ip', ['link', 'set', 'eth0', 'mtu', '1400']);
    try {
      const f = swarmOnly(await doctor()).filter((x) => x.code === 'overlay-mtu');
      const ov1 = f.find((x) => x.host === 'h2' && x.subject === 'ov1');
      expect(ov1).toBeDefined();
      expect(ov1!.title).toMatch(/^overlay ov1 has MTU 1450, but h2's path to its peers carries 1400/);
      expect(ov1!.evidence).toContain('to h1 (10.77.0.11) out of eth0, mtu 1400');
      expect(ov1!.fix).toMatch(/--opt com\.docker\.network\.driver\.mtu=1350/);
      expect(f.every((x) => x.host === 'h2')).toBe(true);
      console.log(`[swarm-doctor] doctor, h2 eth0 mtu 1400:\n${JSON.stringify(ov1, null, 1)}`);
      console.log(`[swarm-doctor] netdiag doctor, h2 eth0 mtu 1400:\n${(await h1.netdiag(['doctor', '--snapshot', join(dir, 'h1.json'), '--snapshot', join(dir, 'h2.json')])).stdout}`);
    } finally {
      await h2.mustExec('ip', ['link', 'set', 'eth0', 'mtu', '1500']);
    }
  });

  it('an overlay created on the LAN\'s own prefix (--subnet 10.77.0.128/25): doctor names the collision on the node that lists it', async () => {
    await h1.docker(['network', 'create', '-d', 'overlay', '--attachable', '--subnet', '10.77.0.128/25', 'ovlan']);
    try {
      const c = swarmOnly(await doctor()).filter((x) => x.code === 'overlay-subnet-collision' && x.subject === 'ovlan');
      expect(c.map((x) => x.host)).toContain('h1');
      expect(c.find((x) => x.host === 'h1')!.title).toBe("overlay ovlan (10.77.0.128/25) collides with h1's route 10.77.0.0/24 dev eth0: inside every container on ovlan, its on-link route takes 10.77.0.128/25, which the LAN holds");
    } finally {
      await h1.docker(['network', 'rm', 'ovlan']);
    }
  });

  it('Docker\'s rules flushed as a firewalld reload does: docker-rules-missing names docker_gwbridge\'s; a dockerd restart writes them again', async () => {
    await h2.mustExec('iptables', ['-F']);
    await h2.mustExec('iptables', ['-t', 'nat', '-F']);
    try {
      const w = (await doctor()).find((x) => x.code === 'docker-rules-missing' && x.host === 'h2');
      expect(w).toBeDefined();
      expect(w!.evidence.some((e) => /^network docker_gwbridge on docker_gwbridge: no isolation, no forward accepts, no MASQUERADE$/.test(e))).toBe(true);
    } finally {
      await h2.restartDocker();
      // A container without a restart policy stays stopped after dockerd restarts; it may come back at another address.
      await h2.docker(['start', 'a2']);
      a2ip = await h2.ip('a2', 'ov1');
    }
    await until('the overlay to carry a1 → a2 after the restart', async () => ((await h1.probe('a1', a2ip)) ? true : null), 120_000);
    expect((await doctor()).find((x) => x.code === 'docker-rules-missing')).toBeUndefined();
  });
});
