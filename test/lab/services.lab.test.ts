// Lab: what users mean by "reach" — services and their sockets, the host as a target, shared namespaces, a bridged
// two-host segment, --link with icc=false, and names — the model against real probes and real lookups.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAgreement, snapshotOf } from './agreement.js';
import { Lab, labUnavailable } from './lab.js';
import type { LabHost } from './lab.js';
import { bridgedScenario, linkScenario, servicesScenario } from './scenarios.js';
import { buildWorld } from '../../rules/model/build.js';
import { why } from '../../rules/why/why.js';
import type { Flow } from '../../snapshot/contract.js';

const skip = labUnavailable();
if (skip) console.warn(`SKIPPED lab tests: ${skip}`);
const ping: Flow = { proto: 'icmp', port: null };
const tcp = (port: number): Flow => ({ proto: 'tcp', port });

/** Each question through the CLI: exit 0, 1 or 3, and every address explained by what decided it. */
async function expectExplained(h: LabHost, from: string, to: string, port: number): Promise<void> {
  const r = await h.netdiag(['why', from, to, '--port', `${port}/tcp`]);
  expect([0, 1, 3], r.stderr).toContain(r.exitCode);
  const blocks = r.stdout.split('\n').filter((l) => /^ {2}\S+.*: (reachable|blocked|unknown)/.test(l));
  expect(blocks.length).toBeGreaterThan(0);
  expect(r.stdout).toMatch(/decided by|let through by|listens/);
}

describe.skipIf(skip !== null)('services, the host, and shared namespaces (one host)', () => {
  let lab: Lab;
  let h: LabHost;
  let bridge: string;
  beforeAll(async () => {
    lab = await Lab.create();
    h = await servicesScenario(lab);
    bridge = `br-${(await h.docker(['network', 'inspect', '-f', '{{.Id}}', 'net-svc'])).trim().slice(0, 12)}`;
  });
  afterAll(async () => {
    await lab?.teardown();
  });

  it('every pair × address: ping, 80/tcp (loop listens on 127.0.0.1 only), 8080/tcp (alt only, and the published port)', async () => {
    await expectAgreement([h], 'services, side-car, none, host', [ping, tcp(80), tcp(8080)]);
  });

  it('why at a terminal collects only the pair (and what it shares), and answers as the whole host does, for every pair', async () => {
    const names = ['web', 'loop', 'alt', 'client', 'c0', 'side', 'none1', 'hostc'];
    const mismatches: string[] = [];
    for (const a of names) {
      for (const b of names) {
        if (a === b) continue;
        const [scoped, full] = await Promise.all([h.netdiag(['why', a, b]), h.netdiag(['why', a, b, '--json'])]);
        // The same question answers with the same code (the verdict, or 1 where the name asked does not resolve).
        const verdict = (JSON.parse(full.stdout) as { verdict: string }).verdict;
        if (scoped.exitCode !== full.exitCode || ![0, 1, 3].includes(full.exitCode)) mismatches.push(`${a} → ${b}: scoped exit ${scoped.exitCode}, whole host ${verdict} (exit ${full.exitCode})`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('why by name, placed without Docker\'s container list (a side-car\'s owner, none, host mode, the host), and by address (the list places it): word for word the whole host\'s answer', async () => {
    const file = `${lab.dir}/services-whole.json`;
    const snap = await h.netdiag(['snapshot', '--out', file]);
    expect(snap.exitCode, snap.stderr).toBe(0);
    const web = (await h.docker(['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', 'web'])).trim();
    // Counters move with any packet between the two reads: the rest of the text must not.
    const text = (r: { exitCode: number; stdout: string }) => `exit ${r.exitCode}\n${r.stdout.replace(/\d+ packets? matched so far/g, 'N packets matched so far')}`;
    const names = ['web', 'client', 'c0', 'side', 'none1', 'hostc'];
    const pairs = [...names.flatMap((a) => names.filter((b) => b !== a).map((b) => [a, b])), ['side', 'host'], ['client', web], ['c0', 'side']];
    for (const [a, b] of pairs) {
      const [live, whole] = await Promise.all([h.netdiag(['why', a!, b!]), h.netdiag(['why', a!, b!, '--snapshot', file])]);
      expect(text(live), `${a} → ${b}: ${live.stderr}`).toBe(text(whole));
    }
  });

  it('a side-car is named as itself, in its owner\'s namespace; none and host say so', async () => {
    const world = buildWorld([await snapshotOf(h)]);
    expect(why(world, 'side', 'client', ping).from.namespace).toBe("web's (--network container:web)");
    expect(why(world, 'none1', 'client', ping).from.namespace).toBe('its own, with no network (--network none)');
    expect(why(world, 'hostc', 'client', ping).from.namespace).toBe("the host's (--network host)");
    const loop = why(world, 'client', 'loop', tcp(80));
    expect(loop.verdict).toBe('blocked');
    expect(loop.addresses[0]!.decidedBy).toMatchObject({ kind: 'socket', reason: expect.stringMatching(/only on 127\.0\.0\.1:80.*bind the service to 0\.0\.0\.0/) });
  });

  it('a service on the host itself, through each gateway and the LAN address, with and without an INPUT drop for one bridge', async () => {
    const server = h.startDaemon('/bin/busybox', ['httpd', '-f', '-p', '9000', '-h', '/tmp'], `${lab.dir}/host-httpd.log`);
    try {
      const addrs = ['172.17.0.1', await h.docker(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Gateway}}', 'net-svc']).then((s) => s.trim()), '10.77.0.11'];
      const check = async (label: string) => {
        const world = buildWorld([await snapshotOf(h)]);
        let n = 0;
        for (const from of ['client', 'c0']) {
          for (const ip of addrs) {
            for (const port of [9000, 8081, 8080]) {
              const model = why(world, from, ip, tcp(port));
              const real = await h.probe(from, ip, port);
              expect(`${label}: ${from} → ${ip}:${port} model ${model.verdict}`).toBe(`${label}: ${from} → ${ip}:${port} model ${real ? 'reachable' : 'blocked'}`);
              n++;
            }
          }
        }
        console.log(`agreement [host service, ${label}]: ${n}/${n}`);
      };
      await check('INPUT open');
      await h.mustExec('iptables', ['-I', 'INPUT', '-i', bridge, '-p', 'tcp', '--dport', '9000', '-j', 'DROP']);
      await check(`INPUT drops 9000 from ${bridge}`);
      const world = buildWorld([await snapshotOf(h)]);
      expect(why(world, 'client', '10.77.0.11', tcp(9000)).addresses[0]!.decidedBy).toMatchObject({ table: 'filter', chain: 'INPUT', index: 1 });
      expect(why(world, 'c0', '10.77.0.11', tcp(8081)).addresses[0]!.decidedBy).toMatchObject({ kind: 'socket', reason: expect.stringMatching(/nothing listens on 10\.77\.0\.11:8081\/tcp in host h1/) });
      for (const [from, to, port] of [['client', '10.77.0.11', 9000], ['c0', '10.77.0.11', 9000], ['c0', '172.17.0.1', 8081], ['client', 'loop', 80], ['side', 'alt', 8080], ['none1', 'web', 80], ['hostc', 'client', 80], ['host', 'web', 80]] as const) {
        await expectExplained(h, from, to, port);
      }
    } finally {
      await server.stop();
      await h.exec('iptables', ['-D', 'INPUT', '-i', bridge, '-p', 'tcp', '--dport', '9000', '-j', 'DROP']);
    }
  });

  it('the host as a source reaches containers and says so', async () => {
    const world = buildWorld([await snapshotOf(h)]);
    for (const [to, port] of [['client', 80], ['loop', 80], ['alt', 8080], ['c0', 80]] as const) {
      const a = why(world, 'h1', to, tcp(port));
      expect(a.from).toMatchObject({ kind: 'host', name: 'host h1' });
      // The live probe from the host's own namespace (netdiag probe with the host as the source).
      const real = await h.netdiag(['probe', 'host', to, '--port', `${port}/tcp`]);
      expect(`host → ${to}:${port} model ${a.verdict}`).toBe(`host → ${to}:${port} model ${real.exitCode === 0 ? 'reachable' : 'blocked'}`);
    }
  });

  it('names: the model\'s answer against a lookup inside each container (user network, alias, default bridge)', async () => {
    const world = buildWorld([await snapshotOf(h)]);
    let n = 0;
    for (const [from, name] of [['web', 'client'], ['client', 'web'], ['client', 'svc-client'], ['web', 'svc-client'], ['c0', 'web'], ['client', 'c0'], ['side', 'client'], ['alt', 'loop']] as const) {
      const model = why(world, from, name, ping).dns;
      const real = await h.lookup(from, name);
      expect(`${from} → ${name}: ${model.resolves ? model.addresses.join(',') : 'unresolved'}`).toBe(`${from} → ${name}: ${real ?? 'unresolved'}`);
      n++;
    }
    console.log(`agreement [names on one host]: ${n}/${n}`);
  });
});

describe.skipIf(skip !== null)('--link on the default bridge with icc=false', () => {
  let lab: Lab;
  let h: LabHost;
  beforeAll(async () => {
    lab = await Lab.create();
    h = await linkScenario(lab);
  });
  afterAll(async () => {
    await lab?.teardown();
  });

  it('the link opens exactly web2:80 from client2, one way; nothing else passes', async () => {
    await expectAgreement([h], 'link, icc=false', [ping, tcp(80)]);
    const world = buildWorld([await snapshotOf(h)]);
    expect(why(world, 'client2', 'web2', tcp(80)).addresses[0]!.decidedBy).toMatchObject({ chain: 'DOCKER', text: expect.stringMatching(/-s \S+ -d \S+ -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT/) });
  });

  it('names: client2 resolves web2 and webalias through /etc/hosts, other2 neither', async () => {
    const world = buildWorld([await snapshotOf(h)]);
    let n = 0;
    for (const [from, name] of [['client2', 'web2'], ['client2', 'webalias'], ['other2', 'web2'], ['web2', 'client2']] as const) {
      const to = name === 'webalias' ? 'web2' : name;
      const model = why(world, from, to, ping).dns;
      const viaAlias = name === 'webalias' ? (await snapshotOf(h)).docker!.containers.find((c) => c.name === from)!.hostsFile!.some((e) => e.names.includes('webalias')) : null;
      const real = await h.lookup(from, name);
      if (name === 'webalias') {
        expect(viaAlias).toBe(real !== null);
        continue;
      }
      expect(`${from} → ${name}: ${model.resolves ? `${model.via} ${model.addresses.join(',')}` : 'unresolved'}`).toBe(`${from} → ${name}: ${real ? `hosts-file ${real}` : 'unresolved'}`);
      n++;
    }
    console.log(`agreement [names with --link]: ${n}/${n}`);
  });
});

describe.skipIf(skip !== null)('the bridged two-host recipe: eth1 enslaved to docker0 on both hosts, both on 172.17.0.0/16', () => {
  let lab: Lab;
  let h1: LabHost;
  let h2: LabHost;
  beforeAll(async () => {
    lab = await Lab.create();
    [h1, h2] = await bridgedScenario(lab);
  });
  afterAll(async () => {
    await lab?.teardown();
  });

  it('containers reach each other across the hosts, as the model walks both bridges', async () => {
    await expectAgreement([h1, h2], 'bridged two-host recipe', [ping, tcp(80)]);
    const world = buildWorld([await snapshotOf(h1), await snapshotOf(h2)]);
    const a = why(world, 'b1/r1', 'b2/s1', ping);
    expect(a.verdict).toBe('reachable');
    expect(a.addresses[0]!.request.flatMap((hop) => hop.steps).some((s) => s.type === 'note' && /own 172\.17\.0\.1: on this segment the containers' gateway answers from either host/.test(s.text))).toBe(true);
  });

  it('doctor names the recipe\'s pitfalls: both docker0 own 172.17.0.1', async () => {
    const dir = lab.dir;
    const files = await Promise.all([h1, h2].map(async (h) => {
      const r = await h.netdiag(['snapshot', '--host-name', h.name, '--out', `${dir}/${h.name}.json`]);
      expect(r.exitCode).toBe(0);
      return `${dir}/${h.name}.json`;
    }));
    const r = await h1.netdiag(['doctor', '--json', ...files.flatMap((f) => ['--snapshot', f])]);
    const codes = (JSON.parse(r.stdout) as { findings: { code: string; title: string }[] }).findings.map((f) => f.code);
    expect(codes).toContain('segment-duplicate-gateway');
    // Each IPAM has its own part of the subnet here, so no address can be handed out twice.
    expect(codes).not.toContain('segment-ipam-overlap');
    expect(codes).not.toContain('orphan-veth');
  });
});
