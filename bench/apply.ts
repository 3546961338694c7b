// Bench: one host's steps of a routes plan applied and rolled back for real (routes, DOCKER-USER accepts, journal) in a
// scratch network namespace, at 100, 1,000 and 10,000 steps: batched (ip -batch, iptables-restore) beside one program
// a step, as apply ran before. The host's collection afterwards (the agent's verification) is not in these figures.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyChange, rollbackChange } from '../actuation/apply.js';
import { liveMutator } from '../host/mutate.js';
import type { HostMutator } from '../host/mutate.js';
import { planRoutes } from '../rules/plan/plan-routes.js';
import { expandHost } from '../rules/plan/shared-plan.js';
import type { PlanStep } from '../snapshot/contract.js';
import { report } from './report.js';
import { syntheticHost } from './synthetic.js';

const NS = 'netdiag-bench-apply';
/**
 * Steps a host, and whether one program a step runs too: at 1,000 steps that way takes 30 s, at 10,000 minutes (its
 * cost a step is flat: 26 ms at 100, 29 ms at 1,000 when both ran), so beyond 100 it is estimated from that rate.
 */
const SIZES: [number, boolean][] = [
  [100, true],
  [1_000, false],
  [10_000, false],
];

/** Host h0's steps of a plan for hosts on one LAN: 4 steps a peer (2 routes, 2 accepts), and ip_forward. */
function stepsOf(size: number): PlanStep[] {
  const n = Math.ceil(size / 4) + 1;
  const hosts = Array.from({ length: n }, (_, i) => syntheticHost(2, 1, `h${i}`, { lan: `10.50.${Math.floor(i / 200)}.${(i % 200) + 1}`, firstSubnet: i * 2 }));
  const plan = planRoutes(hosts, new Map(), { shape: 'shared' });
  if (plan.schema !== 'netdiag/plan@2') throw new Error('expected a shared plan');
  return expandHost(plan, 0).slice(0, size);
}

function dropNamespace(): void {
  execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
}

/** A fresh namespace: the LAN's device (eth0, as the synthetic hosts name it) with its address, Docker's DOCKER-USER chain. */
function fresh(): void {
  try {
    dropNamespace();
  } catch {
    // There was none.
  }
  const sh = (args: string[]) => execFileSync(args[0] as string, args.slice(1), { stdio: ['ignore', 'ignore', 'inherit'] });
  sh(['ip', 'netns', 'add', NS]);
  sh(['ip', '-n', NS, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1']);
  sh(['ip', '-n', NS, 'link', 'set', 'eth0', 'up']);
  sh(['ip', '-n', NS, 'link', 'set', 'eth1', 'up']);
  sh(['ip', '-n', NS, 'addr', 'add', '10.50.0.1/16', 'dev', 'eth0']);
  sh(['ip', 'netns', 'exec', NS, 'iptables', '-N', 'DOCKER-USER']);
}

interface Measured {
  applyMs: number;
  rollbackMs: number;
  status: string;
  undone: number;
}

/** In the namespace: apply the steps, then roll them back, with a journal in a scratch state directory. */
async function child(size: number, batched: boolean): Promise<Measured> {
  const steps = stepsOf(size);
  const live = liveMutator();
  // One program a step: the mutator as it was, without the batch forms.
  const host: HostMutator = batched ? live : { ...live, ipBatch: undefined, iptablesRestore: undefined, iptablesList: undefined };
  const dir = mkdtempSync(join(tmpdir(), 'netdiag-bench-apply-'));
  try {
    const t0 = performance.now();
    const r = await applyChange({ kind: 'plan', id: 'pl-0000be01', title: 'bench', steps, context: {} }, { stateDir: dir, host, verify: async () => ({ ok: true, detail: 'not verified (bench)' }), progress: () => undefined });
    const applyMs = performance.now() - t0;
    const t1 = performance.now();
    const back = await rollbackChange('pl-0000be01', { stateDir: dir, host, progress: () => undefined });
    return { applyMs, rollbackMs: performance.now() - t1, status: r.status, undone: back?.undone.length ?? 0 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const secs = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(0)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`);

export function benchApply(): void {
  const rows: [string, string, string][] = [];
  const run = (size: number, batched: boolean): Measured => {
    fresh();
    const out = execFileSync('ip', ['netns', 'exec', NS, process.execPath, fileURLToPath(import.meta.url), 'child', String(size), batched ? 'batched' : 'one'], { encoding: 'utf8', timeout: 600_000 });
    const m = JSON.parse(out) as Measured;
    if (m.status !== 'applied' || m.undone !== size) throw new Error(`bench apply: ${size} steps ${batched ? 'batched' : 'one by one'}: ${m.status}, ${m.undone} undone`);
    return m;
  };
  let perStep: number | null = null;
  try {
    for (const [size, one] of SIZES) {
      // Interleaved: one program a step first, then batched, on the same machine state.
      const o = one ? run(size, false) : null;
      const b = run(size, true);
      if (o) perStep = (o.applyMs + o.rollbackMs) / size;
      rows.push([`netdiag apply, one host's ${size.toLocaleString('en')} plan steps (routes, accepts), then rollback`, `${secs(b.applyMs)} + ${secs(b.rollbackMs)}`, 'batched: ip -batch for the routes, iptables-restore for the accepts']);
      if (o) rows.push(['  one program a step (as before)', `${secs(o.applyMs)} + ${secs(o.rollbackMs)}`, `${(o.applyMs / b.applyMs).toFixed(1)}× to apply, ${(o.rollbackMs / b.rollbackMs).toFixed(1)}× to roll back`]);
      else if (perStep !== null) rows.push(['  one program a step (as before)', 'not run', `~${secs(perStep * size)} both ways at the rate measured at the size above (~${(perStep * size / (b.applyMs + b.rollbackMs)).toFixed(0)}×)`]);
    }
  } finally {
    try {
      dropNamespace();
    } catch {
      // Gone already.
    }
  }
  report('apply and rollback of a plan host\'s steps in a scratch namespace (journal fsync\'d, no verification; iptables-nft here)', rows);
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'child') {
  process.stdout.write(JSON.stringify(await child(Number(process.argv[3]), process.argv[4] === 'batched')));
}
