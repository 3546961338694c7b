// Every pair × address among containers and hosts' own namespaces, walked by the model and probed for real.
import { expect } from 'vitest';
import { mapLimit } from '../../collectors/collector.js';
import { matrix } from '../../rules/matrix/matrix.js';
import { why } from '../../rules/why/why.js';
import type { Decision, Flow } from '../../snapshot/contract.js';
import type { World } from '../../rules/model/types.js';
import type { LabHost } from './lab.js';

export interface Check {
  /** Where the probe runs: a container (HOST/NAME) or a host's own namespace (HOST/host). */
  from: string;
  to: string;
  ip: string;
  verdict: string;
  decidedBy: Decision | null;
}

/** Every ordered pair among containers and hosts (not the router as a source), with each address the model walked. */
export function checks(world: World, flow: Flow, hosts: string[]): Check[] {
  const out: Check[] = [];
  for (const p of matrix(world, flow)) for (const a of p.addresses) out.push({ from: p.from, to: p.to, ip: a.ip, verdict: a.verdict, decidedBy: null });
  const containers = world.hosts.flatMap((h) => h.containers.map((c) => `${h.name}/${c.name}`));
  const add = (from: string, to: string) => {
    for (const a of why(world, from, to, flow).addresses) out.push({ from, to, ip: a.ip, verdict: a.verdict, decidedBy: a.decidedBy ?? null });
  };
  for (const h of hosts) {
    for (const c of containers) {
      add(`${h}/host`, c);
      add(c, `${h}/host`);
    }
    for (const other of hosts) if (other !== h) add(`${h}/host`, `${other}/host`);
  }
  return out;
}

/** Probe every check for real (one at a time per source namespace, namespaces in parallel); the lines that disagree. */
export async function disagreements(what: string, byName: Map<string, LabHost>, list: Check[], flow: Flow, label: string): Promise<string[]> {
  const groups = new Map<string, Check[]>();
  for (const c of list) groups.set(c.from, [...(groups.get(c.from) ?? []), c]);
  const lines = (
    await mapLimit([...groups.values()], 12, async (group) => {
      const out: { line: string; ok: boolean }[] = [];
      for (const c of group) {
        const [hostName, name] = c.from.split('/') as [string, string];
        const h = byName.get(hostName)!;
        let real: boolean;
        if (name === 'host') {
          // busybox's nc, as inside the containers: it connects, sees stdin closed, and exits 0.
          const r = flow.port === null ? await h.exec('ping', ['-c1', '-W1', c.ip], 15_000) : await h.exec('/bin/busybox', ['nc', '-w', '2', c.ip, String(flow.port)], 15_000, '');
          real = r.exitCode === 0;
        } else real = await h.probe(name, c.ip, flow.port ?? undefined);
        // As in agreement.ts: a probe that fails where the model says reachable is asked once more.
        if (!real && c.verdict === 'reachable' && name !== 'host') real = await h.probe(name, c.ip, flow.port ?? undefined);
        out.push({ line: `${c.from} → ${c.to} ${c.ip}: model ${c.verdict}, probe ${real ? 'reachable' : 'blocked'}`, ok: c.verdict !== 'unknown' && (c.verdict === 'reachable') === real });
      }
      return out;
    })
  ).flat();
  const bad = lines.filter((l) => !l.ok).map((l) => l.line);
  console.log(`${what} agreement [${label}, ${flow.port === null ? 'ping' : `${flow.port}/tcp`}]: ${lines.length - bad.length}/${lines.length} pairs×addresses${bad.length ? `\n  DISAGREE ${bad.join('\n  DISAGREE ')}` : ''}`);
  expect(lines.length).toBeGreaterThan(0);
  return bad;
}

