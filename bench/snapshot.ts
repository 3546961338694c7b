// Bench: `netdiag snapshot` on a lab host with 50 containers on 5 networks, beside the docker/ip/iptables commands
// an operator would run by hand to gather the same facts.
import { runCommand } from '../host/exec.js';
import { mapLimit } from '../collectors/collector.js';
import { Lab } from '../test/lab/lab.js';
import type { LabHost } from '../test/lab/lab.js';
import { median, report } from './report.js';

async function timed(fn: () => Promise<void>): Promise<number> {
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

export async function benchSnapshot(lab: Lab): Promise<void> {
  process.stderr.write('bench: starting a lab host with 50 containers on 5 networks…\n');
  const h = await lab.host('bench');
  const nets = ['n1', 'n2', 'n3', 'n4', 'n5'];
  for (const n of nets) await h.docker(['network', 'create', n]);
  await mapLimit(
    Array.from({ length: 50 }, (_, i) => i),
    6,
    (i) => h.run(`c${i}`, { network: nets[i % 5] }),
  );
  const runs = 7;
  const nd: number[] = [];
  const hand: number[] = [];
  let containers = 0;
  const snapshot = async () => {
    const r = await h.netdiag(['snapshot']);
    if (r.exitCode !== 0) throw new Error(r.stderr);
    containers = JSON.parse(r.stdout).docker.containers.length;
  };
  // Let dockerd settle after starting 50 containers, and warm the page cache, before measuring either side.
  await new Promise((r) => setTimeout(r, 3000));
  await snapshot();
  await byHand(h);
  for (let i = 0; i < runs; i++) nd.push(await timed(snapshot));
  for (let i = 0; i < runs; i++) hand.push(await timed(() => byHand(h)));
  report('snapshot, 50 containers on 5 networks (wall, process start to exit, median of 7)', [
    ['netdiag snapshot', `${median(nd).toFixed(0)} ms`, `min ${Math.min(...nd).toFixed(0)} / max ${Math.max(...nd).toFixed(0)} ms; goal ≤ 1000 ms; ${containers} containers in the snapshot`],
    ['the same facts by hand (docker inspect, ip ×(2+2n), iptables-save)', `${median(hand).toFixed(0)} ms`, `${(median(hand) / median(nd)).toFixed(1)}× netdiag's time`],
  ]);
}
