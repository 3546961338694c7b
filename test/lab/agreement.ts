// Ground truth: probe every pair for real from inside the containers and compare with what the model says.
import { mapLimit } from '../../collectors/collector.js';
import { parseSnapshot } from '../../snapshot/host-snapshot.js';
import type { HostSnapshot } from '../../snapshot/host-snapshot.js';
import { buildWorld } from '../../rules/model/build.js';
import { matrix } from '../../rules/matrix/matrix.js';
import { qualifiedName } from '../../rules/query/resolve.js';
import type { Flow } from '../../snapshot/contract.js';
import { expect } from 'vitest';
import type { LabHost } from './lab.js';

export async function snapshotOf(h: LabHost): Promise<HostSnapshot> {
  const r = await h.netdiag(['snapshot', '--host-name', h.name]);
  if (r.exitCode !== 0) throw new Error(`snapshot of ${h.name} failed: ${r.stderr}`);
  const s = parseSnapshot(JSON.parse(r.stdout));
  if (s.errors.length > 0) throw new Error(`snapshot of ${h.name} has errors: ${JSON.stringify(s.errors)}`);
  return s;
}

export interface Agreement {
  total: number;
  agree: number;
  disagreements: string[];
  table: string[];
}

/** Every ordered pair of containers across `hosts`, every address: model verdict vs a real probe. */
export async function agreement(hosts: LabHost[], flow: Flow, label: string): Promise<Agreement> {
  const snaps = await Promise.all(hosts.map(snapshotOf));
  const world = buildWorld(snaps);
  const pairs = matrix(world, flow);
  const byName = new Map(hosts.map((h) => [h.name, h]));
  const checks = pairs.flatMap((p) => p.addresses.map((a) => ({ p, a })));
  // Probes from one network namespace run one at a time: busybox ping takes any echo reply with its ICMP id, and two
  // pings in one namespace (a side-car and its owner, each in its own PID namespace) can share an id, so one would
  // take the other's reply (a self-ping's, over lo) as its own. Namespaces are probed in parallel.
  const owner = new Map(world.hosts.flatMap((h) => h.containers.map((c) => [qualifiedName(c, world), `${h.name}/${c.netns === 'host' ? 'host' : c.netnsOwnerId}`])));
  const groups = new Map<string, typeof checks>();
  for (const c of checks) {
    const key = owner.get(c.p.from) ?? c.p.from;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  const probeOne = async ({ p, a }: (typeof checks)[number]) => {
    const [hostName, name] = p.from.includes('/') ? (p.from.split('/') as [string, string]) : [hosts[0]!.name, p.from];
    const h = byName.get(hostName)!;
    let real = await h.probe(name, a.ip, flow.port ?? undefined);
    // One lost echo on a loaded two-core machine is not a blocked path: a probe that fails where the model says
    // reachable is asked once more (a path that really is blocked fails again), and the line says so.
    let retried = '';
    if (!real && a.verdict === 'reachable') {
      real = await h.probe(name, a.ip, flow.port ?? undefined);
      retried = ' (probed twice)';
    }
    return { line: `${p.from} → ${p.to} ${a.ip}: model ${a.verdict}, probe ${real ? 'reachable' : 'blocked'}${retried}`, ok: (a.verdict === 'reachable') === real && a.verdict !== 'unknown' };
  };
  const results = (
    await mapLimit([...groups.values()], 16, async (group) => {
      const out: Awaited<ReturnType<typeof probeOne>>[] = [];
      for (const c of group) out.push(await probeOne(c));
      return out;
    })
  ).flat();
  const out: Agreement = { total: results.length, agree: results.filter((r) => r.ok).length, disagreements: results.filter((r) => !r.ok).map((r) => r.line), table: results.map((r) => r.line) };
  console.log(`agreement [${label}, ${flow.proto === 'icmp' ? 'ping' : `${flow.port}/${flow.proto}`}]: ${out.agree}/${out.total} pairs×addresses${out.disagreements.length ? `\n  DISAGREE ${out.disagreements.join('\n  DISAGREE ')}` : ''}`);
  return out;
}

/** Every flow agrees on every pair × address, and there was something to check. */
export async function expectAgreement(hosts: LabHost[], label: string, flows: Flow[]): Promise<void> {
  for (const flow of flows) {
    const a = await agreement(hosts, flow, label);
    expect(a.total).toBeGreaterThan(0);
    expect(a.disagreements).toEqual([]);
  }
}
