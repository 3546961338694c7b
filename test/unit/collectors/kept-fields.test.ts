// Issue 27, no secrets served: the snapshot keeps only the labels and driver options netdiag reads (plus --keep-labels),
// on real captures — the lab's secrets host (Traefik's basic-auth label, a vendor's network option and label, compose's
// labels, a macvlan's parent: test/fixtures/captured/secrets), compose's and swarm's real labels, older snapshots.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Recording, recordingContext, replayContext } from '../../../collectors/recording.js';
import { collectSnapshot } from '../../../collectors/run.js';
import { dockerSource } from '../../../host/docker.js';
import { HostSnapshot, parseSnapshot } from '../../../snapshot/host-snapshot.js';
import { keptSnapshot, labelGlob, labelGlobProblem, optionKept, textWithoutUserinfo, withoutUserinfo } from '../../../snapshot/kept-fields.js';
import { COMPOSE_LABELS } from '../../../rules/meaning/layouts.js';
import { buildWorld } from '../../../rules/model/build.js';
import { byService } from '../../../rules/query/compose.js';
import { CAPTURED } from '../fixtures.js';

const read = (f: string) => parseSnapshot(JSON.parse(readFileSync(join(CAPTURED, f), 'utf8')));
const recording = Recording.parse(JSON.parse(readFileSync(join(CAPTURED, 'secrets/secrets.recording.json'), 'utf8')));
const collect = (keepLabels?: string[]) => collectSnapshot({ hostName: 'secrets', context: replayContext(recording), keepLabels, now: () => new Date('2026-12-05T00:00:00Z') });

// The markers secretsScenario (test/lab/scenarios.ts) put there; every one is in the raw answers Docker gave.
const TRAEFIK = 'traefik.http.middlewares.auth.basicauth.users';
const MARKERS = ['$apr1$netdiag0$', 'hunter2-env-s3cret', 'realm-arg-s3cret', 'net-opt-s3cret', 'net-label-s3cret'];

const container = (s: HostSnapshot, name: string) => s.docker!.containers.find((c) => c.name === name)!;
const network = (s: HostSnapshot, name: string) => s.docker!.networks.find((n) => n.name === name)!;

describe('the docker collector keeps what netdiag reads (replayed from the lab secrets host)', () => {
  it('Docker really gave every secret: the raw answers hold each marker', () => {
    const raw = JSON.stringify(recording.docker);
    for (const m of MARKERS) expect(raw).toContain(m);
  });

  it('no marker reaches the snapshot; compose labels, Docker\'s network options and the macvlan\'s stay', async () => {
    const s = await collect();
    const text = JSON.stringify(s);
    for (const m of MARKERS) expect(text).not.toContain(m);
    expect(container(s, 'web').labels).toEqual({ [COMPOSE_LABELS.project]: 'shop', [COMPOSE_LABELS.service]: 'web', [COMPOSE_LABELS.number]: '1', [COMPOSE_LABELS.oneoff]: 'False' });
    expect(network(s, 'net-sec').options).toEqual({ 'com.docker.network.driver.mtu': '1400' });
    expect(network(s, 'net-sec').labels).toEqual({ [COMPOSE_LABELS.project]: 'shop' });
    expect(network(s, 'lan-sec').options).toEqual({ parent: 'eth0', macvlan_mode: 'bridge' });
    expect(network(s, 'bridge').options['com.docker.network.bridge.name']).toBe('docker0');
    // traefik's, compose's config-hash and working_dir, the vendor's network label; the vendor's option.
    expect(s.docker!.dropped).toEqual({ labels: 4, options: 1, keepLabels: [] });
  });

  it('is the snapshot `netdiag snapshot` wrote in the lab', async () => {
    const s = await collect();
    const lab = read('secrets/secrets.json');
    expect(s.docker!.containers.map((c) => [c.name, c.labels])).toEqual(lab.docker!.containers.map((c) => [c.name, c.labels]));
    expect(s.docker!.dropped).toEqual(lab.docker!.dropped);
  });

  it('--keep-labels traefik.* keeps Traefik\'s label, and only it', async () => {
    const s = await collect(['traefik.*']);
    expect(container(s, 'web').labels[TRAEFIK]).toMatch(/^admin:\$apr1\$/);
    expect(Object.keys(container(s, 'web').labels)).toHaveLength(5);
    expect(network(s, 'net-sec').labels['vendor.token']).toBeUndefined();
    expect(s.docker!.dropped).toEqual({ labels: 3, options: 1, keepLabels: ['traefik.*'] });
  });

  it('--keep-labels never brings back a third-party option: options are not labels', async () => {
    const s = await collect(['*']);
    expect(s.docker!.dropped).toEqual({ labels: 0, options: 1, keepLabels: ['*'] });
    expect(JSON.stringify(s)).not.toContain('net-opt-s3cret');
    // The environment and command line are never read, whatever is kept.
    expect(JSON.stringify(s)).not.toContain('hunter2-env-s3cret');
    expect(JSON.stringify(s)).not.toContain('realm-arg-s3cret');
  });

  it('the rules still find compose services in a filtered snapshot', async () => {
    const s = await collect();
    const w = buildWorld([s]);
    const hit = byService(w.hosts.flatMap((h) => h.containers), 'shop-web');
    expect(hit.kind === 'one' ? hit.container.name : hit.kind).toBe('web');
  });
});

describe('saved snapshots pass the same filter', () => {
  it('an every-label snapshot (--keep-labels \'*\', as netdiag wrote before filtering) loses Traefik\'s label, counted', () => {
    const all = read('secrets/keep-all.json');
    expect(container(all, 'web').labels[TRAEFIK]).toBeDefined();
    const kept = keptSnapshot(all);
    expect(JSON.stringify(kept)).not.toContain('$apr1$netdiag0$');
    expect(JSON.stringify(kept)).not.toContain('net-label-s3cret');
    // Its earlier pass dropped the vendor's option; this one drops the four labels.
    expect(kept.docker!.dropped).toEqual({ labels: 4, options: 1, keepLabels: [] });
    expect(HostSnapshot.parse(kept)).toEqual(kept);
  });

  it('a snapshot from before the filter parses (dropped: null), then is filtered: compose\'s unread labels go', () => {
    const old = read('compose/compose.json');
    expect(old.docker!.dropped).toBeNull();
    const unread = old.docker!.containers.flatMap((c) => Object.keys(c.labels)).filter((k) => !Object.values(COMPOSE_LABELS).includes(k as never));
    // Real compose labels netdiag does not read: version, config-hash, project.config_files, project.working_dir.
    expect(unread).toContain('com.docker.compose.project.config_files');
    const kept = keptSnapshot(old);
    expect(kept.docker!.dropped!.labels).toBe(unread.length + old.docker!.networks.flatMap((n) => Object.keys(n.labels)).filter((k) => !k.startsWith('com.docker.network.') && !Object.values(COMPOSE_LABELS).includes(k as never)).length);
    expect(kept.docker!.containers.every((c) => Object.keys(c.labels).every((k) => Object.values(COMPOSE_LABELS).includes(k as never)))).toBe(true);
    // Every container's compose identity survives.
    const names = (s: HostSnapshot) => s.docker!.containers.map((c) => [c.name, c.labels[COMPOSE_LABELS.project], c.labels[COMPOSE_LABELS.service]]);
    expect(names(kept)).toEqual(names(old));
  });

  it('swarm\'s task labels and an overlay\'s VNI list and encryption are kept', () => {
    const old = read('swarm/svc-h1.json');
    const kept = keptSnapshot(old);
    const swarmLabels = (s: HostSnapshot) => s.docker!.containers.flatMap((c) => Object.keys(c.labels).filter((k) => k.startsWith('com.docker.swarm.')));
    expect(swarmLabels(old).length).toBeGreaterThan(0);
    expect(swarmLabels(kept)).toEqual(swarmLabels(old));
    expect(kept.docker!.networks.map((n) => n.options)).toEqual(old.docker!.networks.map((n) => n.options));
  });

  it('filtering twice with the same globs keeps the same labels and adds nothing to the counts', () => {
    const once = keptSnapshot(read('secrets/keep-all.json'));
    const twice = keptSnapshot(once);
    expect(twice.docker).toEqual(once.docker);
  });
});

describe('the allow-list itself', () => {
  it('globs: * spans dots, ? one character, the rest literal (a dot is not a wildcard), case-sensitive', () => {
    expect(labelGlob('traefik.*')(TRAEFIK)).toBe(true);
    expect(labelGlob('traefik.*')('traefikXhttp')).toBe(false);
    expect(labelGlob('traefik.*')('Traefik.http')).toBe(false);
    expect(labelGlob('com.example.v?')('com.example.v2')).toBe(true);
    expect(labelGlob('com.example.v?')('com.example.v10')).toBe(false);
    expect(labelGlob('a+b')('a+b')).toBe(true);
    expect(labelGlob('a+b')('aab')).toBe(false);
  });

  it('bad globs are named: empty, or one with = (keys never hold one)', () => {
    expect(labelGlobProblem('')).toMatch(/empty/);
    expect(labelGlobProblem('traefik.enable=true')).toMatch(/keys, not values/);
    expect(labelGlobProblem('traefik.*')).toBeNull();
  });

  it('built-in drivers\' options only on their own driver: a plugin\'s `parent` or `encrypted` is dropped', () => {
    expect(optionKept('macvlan', 'parent')).toBe(true);
    expect(optionKept('ipvlan', 'ipvlan_flag')).toBe(true);
    expect(optionKept('overlay', 'encrypted')).toBe(true);
    expect(optionKept('weaveworks/net-plugin:latest_release', 'parent')).toBe(false);
    expect(optionKept('weaveworks/net-plugin:latest_release', 'com.docker.network.driver.mtu')).toBe(true);
    expect(optionKept('bridge', 'parent')).toBe(false);
  });
});

describe('DOCKER_HOST without userinfo', () => {
  it('ssh://user@, tcp://user:secret@ lose it; unix sockets and plain hosts are unchanged', () => {
    expect(withoutUserinfo('ssh://deploy@docker-1')).toBe('ssh://docker-1');
    expect(withoutUserinfo('tcp://admin:s3cret@10.0.0.5:2376')).toBe('tcp://10.0.0.5:2376');
    expect(withoutUserinfo('unix:///var/run/docker.sock')).toBe('unix:///var/run/docker.sock');
    expect(withoutUserinfo('tcp://10.0.0.5:2375/')).toBe('tcp://10.0.0.5:2375/');
    expect(textWithoutUserinfo('Docker daemon at tcp://admin:s3cret@10.0.0.5:2376 refused the connection')).toBe('Docker daemon at tcp://10.0.0.5:2376 refused the connection');
  });

  it('a real collection against tcp://user:secret@127.0.0.1:1 (refused) names the daemon without the secret', async () => {
    const before = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = 'tcp://netdiag:pw-s3cret@127.0.0.1:1';
    try {
      expect(dockerSource(2000).endpoint).toBe('tcp://127.0.0.1:1');
      const s = await collectSnapshot({ hostName: 'x', timeoutMs: 5000, skip: ['links', 'routes', 'firewall', 'nftables', 'sysctls', 'sockets', 'host', 'dns', 'swarm'] });
      expect(s.collectors.docker?.status).toBe('failed');
      expect(s.errors[0]?.message).toContain('tcp://127.0.0.1:1');
      expect(JSON.stringify(s)).not.toContain('pw-s3cret');
    } finally {
      if (before === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = before;
    }
  });
});

describe('a recording (--record, for bug reports) keeps no environment, command line or dropped label', () => {
  // The lab's raw answers recorded again, as `netdiag snapshot --record` records a live host's.
  const rerecord = async (keepLabels?: string[]) => {
    let rec: Recording | undefined;
    const s = await collectSnapshot({
      hostName: 'secrets',
      context: replayContext(recording),
      keepLabels,
      wrap: (ctx) => {
        const r = recordingContext(ctx, { command: 'netdiag snapshot --record', dockerHost: String(recording.provenance.dockerHost) });
        rec = r.recording;
        return r.ctx;
      },
      now: () => new Date('2026-12-05T00:00:00Z'),
    });
    return { s, rec: rec as Recording };
  };

  it('no marker in it; what the collectors read is still there, so it replays to the same snapshot', async () => {
    const { s, rec } = await rerecord();
    const text = JSON.stringify(rec);
    for (const m of MARKERS) expect(text).not.toContain(m);
    const web = Object.entries(rec.docker).find(([k, v]) => k.startsWith('inspectContainer') && (v as { Name: string }).Name === '/web')![1] as { Config: object; HostConfig: object };
    expect(Object.keys(web.Config)).not.toContain('Env');
    expect(Object.keys(web.HostConfig)).not.toContain('LogConfig');
    expect(Object.keys((recording.docker[Object.keys(rec.docker).find((k) => k.startsWith('inspectContainer') && (rec.docker[k] as { Name: string }).Name === '/web')!] as { HostConfig: object }).HostConfig)).toContain('LogConfig');
    const again = await collectSnapshot({ hostName: 'secrets', context: replayContext(Recording.parse(JSON.parse(text))), now: () => new Date('2026-12-05T00:00:00Z') });
    // Everything but the counts: what the recording left out, its replay has nothing to drop.
    const same = (x: HostSnapshot) => ({ ...x, durationMs: 0, collectors: {}, docker: { ...x.docker!, dropped: null } });
    expect(same(again)).toEqual(same(s));
    expect(again.docker!.dropped).toEqual({ labels: 0, options: 0, keepLabels: [] });
  });

  it('with --keep-labels \'*\' the labels are recorded (the fixture above was), the environment and argv still not', async () => {
    const { rec } = await rerecord(['*']);
    const text = JSON.stringify(rec);
    expect(text).toContain('$apr1$netdiag0$');
    expect(text).not.toContain('hunter2-env-s3cret');
    expect(text).not.toContain('realm-arg-s3cret');
    expect(text).not.toContain('net-opt-s3cret');
  });
});
