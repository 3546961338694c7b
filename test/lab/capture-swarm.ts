// Captures swarm fixtures: two lab hosts in one swarm with two attachable overlays (scenario A), then the same with
// h2's INPUT dropping udp/4789 (scenario B): each host's snapshot, every container pair's real ping, raw tool outputs.
// Run (root, under the lab lock): flock /tmp/netdiag-lab.lock npx vitest run --config test/vitest.capture.config.ts test/lab/capture-swarm.ts
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'vitest';
import { Lab, REPO, labUnavailable, must, until } from './lab.js';
import { swarmHosts, swarmScenario } from './swarm-scenario.js';
import type { LabHost } from './lab.js';
import { parseSnapshot } from '../../snapshot/host-snapshot.js';

const OUT = join(REPO, 'test/fixtures/captured/swarm');

interface Probe {
  from: string;
  to: string;
  network: string;
  ip: string;
  ok: boolean;
}

/** Each container's addresses per network, from Docker. */
async function addresses(h: LabHost, name: string): Promise<{ network: string; ip: string }[]> {
  const nets = JSON.parse(await h.docker(['inspect', '-f', '{{json .NetworkSettings.Networks}}', name])) as Record<string, { IPAddress: string }>;
  return Object.entries(nets).map(([network, e]) => ({ network, ip: e.IPAddress })).filter((a) => a.ip !== '');
}

/**
 * Every ordered pair × every address of the target: a ping from inside the source. A failure is asked once more (a lost
 * echo on a loaded machine is not a blocked path; a blocked one fails again), as the agreement tests do. Probes from
 * one namespace run one at a time (busybox ping matches replies by ICMP id); namespaces in parallel.
 */
async function probeAll(containers: { host: LabHost; name: string }[]): Promise<Probe[]> {
  const targets = await Promise.all(containers.map(async (c) => ({ ...c, addrs: await addresses(c.host, c.name) })));
  const perSource = await Promise.all(
    containers.map(async (src) => {
      const out: Probe[] = [];
      for (const dst of targets) {
        if (dst.name === src.name) continue;
        for (const a of dst.addrs) {
          const ok = (await src.host.probe(src.name, a.ip)) || (await src.host.probe(src.name, a.ip));
          out.push({ from: `${src.host.name}/${src.name}`, to: `${dst.host.name}/${dst.name}`, network: a.network, ip: a.ip, ok });
        }
      }
      return out;
    }),
  );
  return perSource.flat();
}

async function snapshot(h: LabHost, file: string, record?: string): Promise<void> {
  const r = await h.netdiag(['snapshot', '--host-name', h.name, '--out', join(OUT, file), ...(record ? ['--record', join(OUT, record)] : [])]);
  if (r.exitCode !== 0) throw new Error(r.stderr);
  const s = parseSnapshot(JSON.parse(await readFile(join(OUT, file), 'utf8')));
  if (s.errors.length > 0) throw new Error(`${file} has errors: ${JSON.stringify(s.errors)}`);
  if (!s.swarm) throw new Error(`${file}: no swarm part`);
}

/** Raw outputs of the tools the swarm collector runs, in one overlay namespace and one container, for the parsers' tests. */
async function rawOutputs(h: LabHost): Promise<void> {
  const netns = join(h.dir, 'exec/netns');
  const files = (await must('ls', [netns])).split('\n').filter(Boolean);
  const ov1 = (await h.docker(['network', 'inspect', '-f', '{{.Id}}', 'ov1'])).trim();
  const overlay = files.find((f) => f === `1-${ov1.slice(0, 10)}`);
  if (!overlay) throw new Error(`no overlay namespace for ov1 in ${files.join(' ')}`);
  const raw = join(OUT, 'raw');
  await mkdir(raw, { recursive: true });
  const inNs = (ns: string, file: string, args: string[]) => must('nsenter', [`--net=${join(netns, ns)}`, file, ...args]);
  await writeFile(join(raw, `${h.name}-overlay-ov1.ip-d-j-link.json`), await inNs(overlay, 'ip', ['-d', '-j', 'link', 'show']));
  await writeFile(join(raw, `${h.name}-overlay-ov1.bridge-j-fdb.json`), await inNs(overlay, 'bridge', ['-j', 'fdb', 'show']));
  await writeFile(join(raw, `${h.name}-overlay-ov1.neigh.json`), await inNs(overlay, 'ip', ['-j', 'neigh', 'show']));
  await writeFile(join(raw, `${h.name}-ingress_sbox.iptables-save.txt`), await inNs('ingress_sbox', 'iptables-save', ['-c']));
  const lb = files.find((f) => f === `lb_${ov1.slice(0, 9)}`);
  if (lb) await writeFile(join(raw, `${h.name}-lb-ov1.iptables-save.txt`), await inNs(lb, 'iptables-save', ['-c']));
  await writeFile(join(raw, `${h.name}-netns.txt`), `${files.join('\n')}\n`);
}

test('capture swarm fixtures', { timeout: 600_000 }, async () => {
  const why = labUnavailable();
  if (why) throw new Error(why);
  const lab = await Lab.create();
  try {
    const [h1, h2] = await swarmHosts(lab);
    const { containers } = await swarmScenario(h1, h2);
    await mkdir(OUT, { recursive: true });
    await writeFile(join(OUT, 'probes-a.json'), `${JSON.stringify(await probeAll(containers), null, 1)}\n`);
    await snapshot(h1, 'a-h1.json', 'a-h1.recording.json');
    await snapshot(h2, 'a-h2.json');
    await rawOutputs(h1);
    await rawOutputs(h2);
    const versions = {
      capturedAt: new Date().toISOString(),
      dockerd: (await h1.docker(['version', '--format', '{{.Server.Version}}'])).trim(),
      iproute2: (await h1.mustExec('ip', ['-V'])).trim(),
      iptables: (await h1.mustExec('iptables', ['-V'])).trim(),
      kernel: (await h1.mustExec('uname', ['-r'])).trim(),
    };
    // Scenario B: the same swarm, h2 now dropping VXLAN on INPUT.
    await h2.mustExec('iptables', ['-I', 'INPUT', '-p', 'udp', '--dport', '4789', '-j', 'DROP']);
    await writeFile(join(OUT, 'probes-b.json'), `${JSON.stringify(await probeAll(containers), null, 1)}\n`);
    await snapshot(h1, 'b-h1.json');
    await snapshot(h2, 'b-h2.json');
    await writeFile(join(OUT, 'provenance.json'), `${JSON.stringify(versions, null, 1)}\n`);
  } finally {
    await lab.teardown();
  }
});

// A swarm service and an encrypted overlay on the same two hosts: what the Engine API says of a service (VIPs,
// published ports, NetworkDB's service entries with their tasks) and of --opt encrypted, on a kernel without IPVS.
test('capture swarm service and encrypted overlay fixtures', { timeout: 600_000 }, async () => {
  const why = labUnavailable();
  if (why) throw new Error(why);
  const lab = await Lab.create();
  const raw = join(OUT, 'raw');
  await mkdir(raw, { recursive: true });
  try {
    const [h1, h2] = await swarmHosts(lab);
    await swarmScenario(h1, h2);
    await h1.docker(['network', 'create', '-d', 'overlay', '--attachable', '--opt', 'encrypted', '--subnet', '10.60.3.0/24', 'ov3']);
    await h1.run('e1', { network: 'ov3' });
    await h2.run('e2', { network: 'ov3' });
    // The lab has no registry: --no-resolve-image keeps the service on the image both nodes imported (bb:lab).
    await h1.docker(['service', 'create', '--detach', '--no-resolve-image', '--name', 'web', '--network', 'ov1', '--replicas', '2', '--publish', 'published=8080,target=80', 'bb:lab', 'httpd', '-f', '-p', '80', '-h', '/var/www']);
    await h1.docker(['service', 'create', '--detach', '--no-resolve-image', '--name', 'rr', '--network', 'ov2', '--endpoint-mode', 'dnsrr', '--replicas', '1', 'bb:lab', 'httpd', '-f', '-p', '80', '-h', '/var/www']);
    // Tasks start (or fail, with no IPVS) within seconds; wait until each service has as many tasks as asked, running or not.
    await until('service tasks', async () => {
      const ps = (await h1.docker(['service', 'ps', '--format', '{{.Name}} {{.CurrentState}}', 'web', 'rr'])).trim().split('\n');
      return ps.length >= 3 && ps.every((l) => !/Preparing|Assigned|Pending|New/.test(l)) ? true : null;
    }, 120_000).catch(() => null);
    await writeFile(join(raw, 'service-ps.txt'), await h1.docker(['service', 'ps', '--no-trunc', 'web', 'rr']).catch((e: unknown) => String(e)));
    const ip = async (h: LabHost, c: string) => (await h.docker(['inspect', '-f', '{{(index .NetworkSettings.Networks "ov3").IPAddress}}', c])).trim();
    const probes = { 'h1/e1 -> h2/e2 (ov3, encrypted)': await h1.probe('e1', await ip(h2, 'e2')), 'h2/e2 -> h1/e1 (ov3, encrypted)': await h2.probe('e2', await ip(h1, 'e1')) };
    await writeFile(join(OUT, 'probes-svc.json'), `${JSON.stringify(probes, null, 1)}\n`);
    await writeFile(join(raw, 'h1-services.json'), await must('curl', ['-s', '--unix-socket', h1.socket, 'http://docker/services']));
    for (const n of ['ov1', 'ov3', 'ingress']) await writeFile(join(raw, `h1-network-${n}.verbose.json`), await must('curl', ['-s', '--unix-socket', h1.socket, `http://docker/networks/${n}?verbose=true`]));
    // dockerd's warnings and errors (no IPVS, no ESP here), each message once, the IPsec keys it logs blanked out.
    const log = (await readFile(join(h1.dir, 'dockerd.log'), 'utf8')).split('\n').filter((l) => /level=(warning|error)/.test(l)).map((l) => l.replace(/Key: 0x[0-9a-f]+/g, 'Key: <redacted>'));
    const once = log.filter((l, i) => log.findIndex((m) => m.replace(/time="[^"]*"|SPI: 0x[0-9a-f]+/g, '') === l.replace(/time="[^"]*"|SPI: 0x[0-9a-f]+/g, '')) === i);
    await writeFile(join(raw, 'h1-dockerd-warnings.log'), `${once.join('\n')}\n`);
    await snapshot(h1, 'svc-h1.json');
    await snapshot(h2, 'svc-h2.json');
  } finally {
    await lab.teardown();
  }
});
