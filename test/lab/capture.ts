// Captures the fixtures unit tests replay: a recording of every collector answer on the seed scenario, the demo's
// bundled snapshot, and real failure outputs (unprivileged runs, a vanished sandbox). Run: npm run capture (root).
import { mkdir, writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'vitest';
import { snapshotOf } from './agreement.js';
import { dockerBridgesTable, EMPTY_IPTABLES } from './docker29.js';
import { startFirewalld, systemBus } from './firewalld.js';
import { Lab, REPO, labUnavailable } from './lab.js';
import type { LabHost } from './lab.js';
import { bridgedScenario, collideScenario, composeScenario, dnsFirewallScenario, dnsScenario, dualStackScenario, linkScenario, mixedFamiliesScenario, secretsScenario, seedScenario, servicesScenario } from './scenarios.js';
import { SANDBOX_IP_ARGS } from '../../collectors/first-reads.js';
import { engineGet } from '../../host/engine-api.js';

const OUT = join(REPO, 'test/fixtures/captured');
const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];

/** A fresh lab, the scenario `setup` builds, and each of its hosts' snapshots written to captured/<dir>/<host>.json. */
async function captureSnapshots(dir: string, setup: (lab: Lab) => Promise<LabHost[]>, record: string[] = []): Promise<void> {
  const why = labUnavailable();
  if (why) throw new Error(why);
  const lab = await Lab.create();
  try {
    const hosts = await setup(lab);
    await mkdir(join(OUT, dir), { recursive: true });
    for (const h of hosts) {
      // A recording beside the snapshot, for collectors' replay tests: every command's answer of that same collection.
      const rec = record.includes(h.name) ? ['--record', join(OUT, dir, `${h.name}.recording.json`)] : [];
      const r = await h.netdiag(['snapshot', '--host-name', h.name, '--out', join(OUT, dir, `${h.name}.json`), ...rec]);
      if (r.exitCode !== 0) throw new Error(r.stderr);
    }
  } finally {
    await lab.teardown();
  }
}

test('capture seed fixtures', { timeout: 300_000 }, async () => {
  const why = labUnavailable();
  if (why) throw new Error(why);
  const lab = await Lab.create();
  try {
    const h = await seedScenario(lab);
    // Some traffic, so counters are real: one probe isolation drops, one that stays on net-redis.
    await h.probe('alpine-01', await h.ip('redis-1', 'net-redis'));
    await h.probe('redis-1', await h.ip('redis-2', 'net-redis'));
    await mkdir(join(OUT, 'seed'), { recursive: true });
    const rec = join(OUT, 'seed/recording.json');
    const snap = join(REPO, 'examples/seed-host.json');
    const r = await h.netdiag(['snapshot', '--host-name', 'lab-h1', '--out', snap, '--record', rec]);
    if (r.exitCode !== 0) throw new Error(r.stderr);
    const recording = JSON.parse(await readFile(rec, 'utf8'));
    const versions = {
      dockerd: (await h.docker(['version', '--format', '{{.Server.Version}}'])).trim(),
      iproute2: (await h.mustExec('ip', ['-V'])).trim(),
      iptables: (await h.mustExec('iptables', ['-V'])).trim(),
      kernel: (await h.mustExec('uname', ['-r'])).trim(),
    };
    recording.provenance = { ...recording.provenance, scenario: 'seed: alpine-01 on docker0; net-redis with redis-1, redis-2 (-p 8080:80); ip_forward 0 before dockerd', ...versions };
    await writeFile(rec, `${JSON.stringify(recording, null, 1)}\n`);

    // Real failure outputs, for the bad-input unit tests.
    const failures: Record<string, unknown> = { provenance: { capturedAt: new Date().toISOString(), ...versions } };
    const key = recording.docker[`inspectContainer ${recording.docker.listContainers.find((c: { Names: string[] }) => c.Names[0] === '/redis-1').Id}`].NetworkSettings.SandboxKey;
    failures.iptablesSaveAsNobody = await h.exec('setpriv', [...NOBODY, 'iptables-save', '-c']);
    failures.nsenterAsNobody = await h.exec('setpriv', [...NOBODY, 'nsenter', `--net=${key}`, 'ip', ...SANDBOX_IP_ARGS]);
    await h.docker(['rm', '-f', 'redis-1']);
    failures.nsenterVanishedSandbox = await h.exec('nsenter', [`--net=${key}`, 'ip', ...SANDBOX_IP_ARGS]);
    failures.ipRouteMissingTable = await h.exec('ip', ['-j', 'route', 'show', 'table', '200']);
    await h.mustExec('ip', ['rule', 'add', 'priority', '100', 'not', 'from', '10.0.0.0/8', 'fwmark', '0x1/0xff', 'table', '100']);
    failures.ipRuleNegated = await h.exec('ip', ['-j', '-4', 'rule', 'show']);
    await writeFile(join(OUT, 'seed/failures.json'), `${JSON.stringify(failures, null, 1)}\n`);
  } finally {
    await lab.teardown();
  }
});

// The topology of moby's iptablesdoc scenarios (bridge1 = 192.0.2.0/24, c1 = 192.0.2.2 with -p 8080:80, docker0),
// plus a container on docker0 and a second host on the LAN with routes both ways, so the rule dumps of Docker
// 27–29 can be evaluated around real interfaces, routes and containers.
test('capture moby topology', { timeout: 300_000 }, () =>
  captureSnapshots('moby-topology', async (lab) => {
    const [h1, h2] = await Promise.all([lab.host('docker', { lan: '10.66.0.1/24' }), lab.host('peer', { lan: '10.66.0.2/24', bip: '10.200.0.1/24' })]);
    await h1.docker(['network', 'create', '-o', 'com.docker.network.bridge.name=bridge1', '--subnet', '192.0.2.0/24', '--gateway', '192.0.2.1', 'bridge1']);
    await h1.run('c1', { network: 'bridge1', publish: ['8080:80'] });
    await h1.run('c0');
    await h2.run('peer-1');
    await h1.mustExec('ip', ['route', 'add', '10.200.0.0/24', 'via', '10.66.0.2']);
    await h2.mustExec('ip', ['route', 'add', '192.0.2.0/24', 'via', '10.66.0.1']);
    await h2.mustExec('ip', ['route', 'add', '172.17.0.0/16', 'via', '10.66.0.1']);
    return [h1, h2];
  }));

// The scenarios of "what users mean by reach": services and namespaces, --link with icc=false, the bridged recipe.
test('capture services, link and bridged scenarios', { timeout: 300_000 }, () =>
  captureSnapshots('reach', async (lab) => {
    const [svc, link, [b1, b2]] = await Promise.all([servicesScenario(lab), linkScenario(lab), bridgedScenario(lab)]);
    return [svc, link, b1, b2];
  }));

// Dual stack, with and without ip6tables: what IPv6 isolation Docker programs, and what it leaves open.
test('capture dual-stack scenarios', { timeout: 300_000 }, () =>
  captureSnapshots('ipv6', (lab) => Promise.all([dualStackScenario(lab, 'v6open', false), dualStackScenario(lab, 'v6tables', true)])));

// A host whose eth0 (its LAN NIC) is the parent of a macvlan network: a container on it, one on the default bridge,
// one on both, one sharing the macvlan container's namespace — every attachment the model reads, from a real dockerd.
test('capture a macvlan host', { timeout: 300_000 }, () =>
  captureSnapshots('attach', async (lab) => {
    const h = await lab.host('macvlan-host', { lan: '10.77.0.2/24' });
    await h.docker(['network', 'create', '-d', 'macvlan', '-o', 'parent=eth0', '--subnet', '10.77.0.0/24', '--gateway', '10.77.0.1', '--ip-range', '10.77.0.128/25', 'lan-mv']);
    await h.run('web-mv', { network: 'lan-mv' });
    await h.run('c-br');
    await h.run('both');
    await h.docker(['network', 'connect', 'lan-mv', 'both']);
    await h.run('side', { network: 'container:web-mv', cmd: ['sleep', '3600'] });
    return [h];
  }));

// The host↔macvlan shim's inputs, each from a real dockerd: a network reserving an address with --aux-address (IPAM
// reports it as AuxiliaryAddresses), one without --ip-range (Docker's pool is the whole subnet), and a host where the
// shim is in place by hand (a macvlan of eth0 in bridge mode, a /32 on it, a route to the range) — the state after the
// fix, for the doctor and the walk to read. (Without --ip-range Docker hands out the subnet from its bottom, whatever the
// LAN uses there: the host sits at .250 so that its own address is not the one Docker gives the container.)
test('capture macvlan shim hosts', { timeout: 300_000 }, () =>
  captureSnapshots('attach', async (lab) => {
    const [aux, norange, shimmed] = await Promise.all([lab.host('macvlan-aux', { lan: '10.78.0.2/24' }), lab.host('macvlan-norange', { lan: '10.76.0.250/24' }), lab.host('macvlan-shimmed', { lan: '10.77.0.3/24' })]);
    await aux.docker(['network', 'create', '-d', 'macvlan', '-o', 'parent=eth0', '--subnet', '10.78.0.0/24', '--gateway', '10.78.0.1', '--ip-range', '10.78.0.128/26', '--aux-address', 'shim=10.78.0.200', 'lan-aux']);
    await norange.docker(['network', 'create', '-d', 'macvlan', '-o', 'parent=eth0', '--subnet', '10.76.0.0/24', '--gateway', '10.76.0.1', 'lan-nr']);
    await shimmed.docker(['network', 'create', '-d', 'macvlan', '-o', 'parent=eth0', '--subnet', '10.77.0.0/24', '--gateway', '10.77.0.1', '--ip-range', '10.77.0.128/25', 'lan-mv']);
    for (const [h, net] of [[aux, 'lan-aux'], [norange, 'lan-nr'], [shimmed, 'lan-mv']] as const) {
      await h.run('web-mv', { network: net });
      await h.run('c-br');
    }
    await shimmed.mustExec('ip', ['link', 'add', 'mvshim', 'link', 'eth0', 'type', 'macvlan', 'mode', 'bridge']);
    await shimmed.mustExec('ip', ['addr', 'add', '10.77.0.127/32', 'dev', 'mvshim']);
    await shimmed.mustExec('ip', ['link', 'set', 'mvshim', 'up']);
    await shimmed.mustExec('ip', ['route', 'add', '10.77.0.128/25', 'dev', 'mvshim']);
    return [aux, norange, shimmed];
  }));

// Hosts without a running Docker, as operators run doctor on them: `plain` never had a dockerd (ip_forward at the
// kernel's 0, no docker0, no Docker chains); `stopped` ran one with a container on a user network, then stopped it
// (its bridges, chains and ip_forward=1 stay behind).
test('capture hosts without Docker', { timeout: 300_000 }, () =>
  captureSnapshots('nodocker', async (lab) => {
    const [plain, stopped] = await Promise.all([lab.host('plain', { lan: '10.79.0.2/24', docker: false }), lab.host('stopped', { lan: '10.79.0.3/24' })]);
    for (const h of [plain, stopped]) await h.mustExec('ip', ['route', 'add', 'default', 'via', '10.79.0.254']);
    await stopped.docker(['network', 'create', 'apps']);
    await stopped.run('web', { network: 'apps' });
    await stopped.stopDocker();
    return [plain, stopped];
  }));

// Docker's rules wiped while dockerd runs (issue 29), each on its own seed host: firewalld started after dockerd (on a
// system bus started for it), `iptables -t nat -F`, `nft flush ruleset`; and Docker 29's nftables backend (docker29.ts)
// before and after `nft flush ruleset`.
test('capture wiped hosts', { timeout: 300_000 }, async () => {
  const bus = await systemBus();
  let fw: { stop(): Promise<void> } | null = null;
  try {
    await captureSnapshots('wiped', async (lab) => {
      const [fwd, natf, flushed, nft29, nftFlushed] = await Promise.all(['fw-after', 'nat-flushed', 'flushed', 'nft29', 'nft29-flushed'].map((n) => seedScenario(lab, n)));
      for (const h of [nft29!, nftFlushed!]) {
        await h.feed('iptables-restore', [], EMPTY_IPTABLES);
        await h.feed('nft', ['-f', '-'], dockerBridgesTable(await snapshotOf(h)));
      }
      fw = await startFirewalld(fwd!);
      await natf!.mustExec('iptables', ['-t', 'nat', '-F']);
      await flushed!.mustExec('nft', ['flush', 'ruleset']);
      await nftFlushed!.mustExec('nft', ['flush', 'ruleset']);
      return [fwd!, natf!, flushed!, nft29!, nftFlushed!];
    });
  } finally {
    await (fw as { stop(): Promise<void> } | null)?.stop();
    bus.stop();
  }
});

// Compose projects made by docker-compose itself: the labels (project, service, container-number) names are read from.
test('capture compose projects', { timeout: 300_000 }, () => captureSnapshots('compose', async (lab) => [await composeScenario(lab)]));

// A dual-stack daemon with an IPv4-only user network: containers of one family beside containers of both.
test('capture mixed families', { timeout: 300_000 }, () => captureSnapshots('ipv6', async (lab) => [await mixedFamiliesScenario(lab)]));

// Docker's embedded DNS: user networks, the default bridge, a --dns override and Docker 29's nftables resolver NAT,
// with a real lookup in each container first (so the rules' counters are real).
test('capture dns scenario', { timeout: 300_000 }, () =>
  captureSnapshots('dns', async (lab) => {
    const [h, fw] = await Promise.all([dnsScenario(lab), dnsFirewallScenario(lab)]);
    await h.docker(['exec', 'a1', 'nslookup', 'a2', '127.0.0.11']);
    await h.docker(['exec', 'n1', 'nslookup', 'a1', '127.0.0.11']);
    return [h, fw];
  }, ['dns1']));

// "Docker took my LAN": col1's net-lan (10.77.0.0/16) collides with its LAN 10.77.0.0/24 and net-vpn (10.99.0.0/24)
// with its route 10.99.0.0/16 via col2, net-tbl (10.66.1.0/24) with a policy-routed 10.66.0.0/16 (table 100); a probe
// from each first, so the neighbour tables hold what was asked for.
test('capture a colliding host', { timeout: 300_000 }, () =>
  captureSnapshots('collide', async (lab) => {
    const [h1, h2] = await collideScenario(lab);
    await Promise.all([h1.probe('x1', '10.77.0.12'), h1.probe('d1', '10.99.0.12'), h1.probe('d1', '10.88.0.2'), h1.exec('ping', ['-c1', '-W1', '10.77.0.12'])]);
    return [h1, h2];
  }));

// Secrets in labels, options, environment and command line (secretsScenario): the snapshot as netdiag writes it, one
// with every label kept (`--keep-labels '*'`, what an older netdiag wrote: the agent must not serve it whole) and the
// raw answers of that collection, for the filter's replay tests.
test('capture secrets in labels and options', { timeout: 300_000 }, async () => {
  const why = labUnavailable();
  if (why) throw new Error(why);
  const lab = await Lab.create();
  try {
    const h = await secretsScenario(lab);
    const dir = join(OUT, 'secrets');
    await mkdir(dir, { recursive: true });
    for (const args of [['--out', join(dir, 'secrets.json')], ['--keep-labels', '*', '--out', join(dir, 'keep-all.json'), '--record', join(dir, 'secrets.recording.json')]]) {
      const r = await h.netdiag(['snapshot', '--host-name', 'secrets', ...args]);
      if (r.exitCode !== 0) throw new Error(r.stderr);
    }
    // --record keeps no environment, command line or third-party option (recording-scrub.ts): the filter's replay
    // tests need Docker's answers as Docker gave them, so those are asked again here, straight from its socket.
    const file = join(dir, 'secrets.recording.json');
    const recording = JSON.parse(await readFile(file, 'utf8'));
    const paths: Record<string, (id: string) => string> = { version: () => '/version', info: () => '/info', listNetworks: () => '/networks', listContainers: () => '/containers/json?all=1', inspectContainer: (id) => `/containers/${id}/json`, inspectNetwork: (id) => `/networks/${id}?verbose=true` };
    for (const key of Object.keys(recording.docker)) {
      const [method, id = ''] = key.split(' ') as [string, string?];
      const path = paths[method];
      if (!path) throw new Error(`no raw path for ${key}`);
      recording.docker[key] = await engineGet({ socketPath: h.socket }, path(id), 10_000);
    }
    recording.provenance = { ...recording.provenance, docker: 'raw: asked again from the socket after the collection, not scrubbed', scenario: 'secretsScenario (test/lab/scenarios.ts)' };
    await writeFile(file, `${JSON.stringify(recording, null, 1)}\n`);
  } finally {
    await lab.teardown();
  }
});
