// Bench: `netdiag snapshot` on a lab host, beside its floor (the same raw reads, replayed at once with nothing else:
// bench/floor.ts) and beside the commands an operator would type one after another to see the same.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../host/exec.js';
import { REPO, nodeFlags } from '../test/lab/lab.js';
import type { LabHost } from '../test/lab/lab.js';
import { median } from './report.js';

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** What an operator runs to see the same: docker inspect everything, ip in the host and in every container, iptables-save. */
async function byHand(h: LabHost): Promise<void> {
  const ids = (await h.docker(['ps', '-q'])).split('\n').filter(Boolean);
  const nets = (await h.docker(['network', 'ls', '-q'])).split('\n').filter(Boolean);
  await h.docker(['network', 'inspect', ...nets]);
  const inspect = JSON.parse(await h.docker(['inspect', ...ids])) as { NetworkSettings: { SandboxKey: string } }[];
  await h.mustExec('ip', ['-j', '-d', 'addr', 'show']);
  await h.mustExec('ip', ['-j', 'route', 'show', 'table', 'all']);
  await h.mustExec('iptables-save', ['-c']);
  for (const c of inspect) {
    await runCommand('nsenter', [`--net=/run/netns/${h.netns}`, 'nsenter', `--net=${c.NetworkSettings.SandboxKey}`, 'ip', '-j', '-d', 'addr', 'show']);
    await runCommand('nsenter', [`--net=/run/netns/${h.netns}`, 'nsenter', `--net=${c.NetworkSettings.SandboxKey}`, 'ip', '-j', 'route', 'show', 'table', 'all']);
  }
}

/** Rows for the snapshot report at this host's size: netdiag, its floor, and by hand. */
export async function benchSnapshot(h: LabHost, size: number): Promise<[string, string, string][]> {
  const dir = mkdtempSync(join(tmpdir(), 'netdiag-bench-rec-'));
  const rec = join(dir, 'rec.json');
  const r = await h.netdiag(['snapshot', '--record', rec]);
  if (r.exitCode !== 0) throw new Error(r.stderr);
  const containers = JSON.parse(r.stdout).docker.containers.length as number;
  const floor = async () => {
    const f = await h.exec(process.execPath, [...nodeFlags(), join(REPO, 'dist/bench/floor.js'), rec], 60_000);
    if (f.exitCode !== 0) throw new Error(`the floor failed: ${f.stderr.slice(0, 300)}`);
  };
  await floor();
  await byHand(h);
  const nd = [];
  const fl = [];
  // Alternated, so a busy moment of dockerd falls on both sides alike.
  for (let i = 0; i < 7; i++) {
    nd.push(await timed(() => h.netdiag(['snapshot'])));
    fl.push(await timed(floor));
  }
  const hand = median([await timed(() => byHand(h)), await timed(() => byHand(h)), await timed(() => byHand(h))]);
  const ratio = median(nd) / median(fl);
  return [
    [`netdiag snapshot, ${size} containers`, `${median(nd).toFixed(0)} ms`, `${containers} in the snapshot; min ${Math.min(...nd).toFixed(0)} / max ${Math.max(...nd).toFixed(0)} ms${size === 50 ? '; goal ≤ 1.2× the floor' : ''}`],
    ['  the floor: its raw reads at once, nothing else', `${median(fl).toFixed(0)} ms`, `netdiag is ${ratio.toFixed(2)}× the floor${size === 50 ? (ratio <= 1.2 ? '' : ' (goal missed)') : ''}`],
    ['  by hand, one command after another', `${hand.toFixed(0)} ms`, `${(hand / median(nd)).toFixed(1)}× netdiag's time`],
  ];
}
