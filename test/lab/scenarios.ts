// Scenarios built in the lab, shared by the lab tests and the fixture capture.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab, LabHost } from './lab.js';

/**
 * The seed: alpine-01 on the default bridge; net-redis with redis-1 and redis-2 (every container serves HTTP on 80;
 * redis-2's is published as 8080). ip_forward is 0 when dockerd starts, so Docker enables it and sets FORWARD's policy to DROP.
 */
export async function seedScenario(lab: Lab, name = 'h1', opts: { bip?: string; lan?: string } = {}): Promise<LabHost> {
  const h = await lab.host(name, { bip: opts.bip, lan: opts.lan });
  await h.docker(['network', 'create', 'net-redis']);
  // redis-1 before redis-2, so IPAM gives them .2 and .3 every time (fixtures and docs name those addresses).
  await Promise.all([h.run('alpine-01'), h.run('redis-1', { network: 'net-redis' })]);
  await h.run('redis-2', { network: 'net-redis', publish: ['8080:80'] });
  return h;
}

const SLEEP = ['sleep', '3600'];

/**
 * Services and namespaces on one host (LAN 10.77.0.11/24): on net-svc, web (:80, published 8080), loop (:80 on
 * 127.0.0.1 only), alt (:8080 only), client (alias svc-client); c0 on the default bridge; side (--network
 * container:web), none1 (--network none), hostc (--network host).
 */
export async function servicesScenario(lab: Lab, name = 'h1'): Promise<LabHost> {
  const h = await lab.host(name, { lan: '10.77.0.11/24' });
  await h.docker(['network', 'create', 'net-svc']);
  await h.run('web', { network: 'net-svc', publish: ['8080:80'] });
  await Promise.all([
    h.run('loop', { network: 'net-svc', cmd: ['httpd', '-f', '-p', '127.0.0.1:80', '-h', '/var/www'] }),
    h.run('alt', { network: 'net-svc', cmd: ['httpd', '-f', '-p', '8080', '-h', '/var/www'] }),
    h.run('client', { network: 'net-svc', extra: ['--network-alias', 'svc-client'] }),
    h.run('c0'),
    h.run('side', { network: 'container:web', cmd: SLEEP }),
    h.run('none1', { network: 'none', cmd: SLEEP }),
    h.run('hostc', { network: 'host', cmd: SLEEP }),
  ]);
  return h;
}

/** --link on the default bridge of a daemon with --icc=false: client2 links web2 (exposes 80) as webalias; other2 does not. */
export async function linkScenario(lab: Lab, name = 'h2'): Promise<LabHost> {
  const h = await lab.host(name, { extraDaemonArgs: ['--icc=false'] });
  await h.run('web2', { extra: ['--expose', '80'] });
  await Promise.all([h.run('client2', { extra: ['--link', 'web2:webalias'] }), h.run('other2')]);
  return h;
}

/**
 * The operators' bridged two-host recipe: a cable (a veth pair) enslaved to docker0 on both hosts, both bridges
 * 172.17.0.1/16, each IPAM on its own part (fixed-cidr); r1 and r2 on b1, s1 on b2.
 */
export async function bridgedScenario(lab: Lab): Promise<[LabHost, LabHost]> {
  const [h1, h2] = await Promise.all([
    lab.host('b1', { bip: '172.17.0.1/16', extraDaemonArgs: ['--fixed-cidr', '172.17.0.0/24'] }),
    lab.host('b2', { bip: '172.17.0.1/16', extraDaemonArgs: ['--fixed-cidr', '172.17.1.0/24'] }),
  ]);
  await h1.mustExec('ip', ['link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth1', 'netns', h2.netns]);
  for (const h of [h1, h2]) {
    await h.mustExec('ip', ['link', 'set', 'eth1', 'master', 'docker0']);
    await h.mustExec('ip', ['link', 'set', 'eth1', 'up']);
  }
  await Promise.all([h1.run('r1'), h1.run('r2'), h2.run('s1')]);
  return [h1, h2];
}

/**
 * Dual stack on dockerd 20.10: the default bridge with --ipv6 --fixed-cidr-v6 fd00:1::/64 and a user network with
 * --ipv6 --subnet fd00:2::/64; a4 on the default bridge, b4 and b5 on net6. With `ip6tables`, dockerd also writes
 * ip6tables rules (--experimental --ip6tables); without, it writes none: IPv6 crosses networks IPv4 cannot.
 */
export async function dualStackScenario(lab: Lab, name: string, ip6tables: boolean): Promise<LabHost> {
  const h = await lab.host(name, { extraDaemonArgs: ['--ipv6', '--fixed-cidr-v6', 'fd00:1::/64', ...(ip6tables ? ['--experimental', '--ip6tables'] : [])] });
  await h.docker(['network', 'create', '--ipv6', '--subnet', 'fd00:2::/64', '--subnet', '172.30.0.0/16', 'net6']);
  await h.run('a4');
  await h.run('b4', { network: 'net6' });
  await h.run('b5', { network: 'net6' });
  return h;
}

/**
 * Compose projects, created by `docker compose` itself (Debian's docker-compose 1.29, the Python one: its labels are
 * the ones every Compose writes): project shop with web (3 replicas) and db on shop_default; project blog with db on
 * blog_default; solo, a plain container on the default bridge. `web` is shop's, `db` is in both projects.
 */
export async function composeScenario(lab: Lab, name = 'compose'): Promise<LabHost> {
  const h = await lab.host(name);
  const httpd = (port: number) => `["httpd", "-f", "-p", "${port}", "-h", "/var/www"]`;
  const file = (project: string, services: Record<string, number>) => {
    const path = join(h.dir, `${project}.yml`);
    writeFileSync(path, `version: "2.4"\nservices:\n${Object.entries(services).map(([s, port]) => `  ${s}:\n    image: bb:lab\n    command: ${httpd(port)}\n`).join('')}`);
    return path;
  };
  const compose = async (project: string, path: string, args: string[]) => {
    const r = await h.exec('docker-compose', ['--no-ansi', '-p', project, '-f', path, ...args], 180_000);
    if (r.exitCode !== 0) throw new Error(`docker-compose ${args.join(' ')}: ${r.stderr}`);
  };
  await compose('shop', file('shop', { web: 80, db: 5432 }), ['up', '-d', '--scale', 'web=3']);
  await compose('blog', file('blog', { db: 5432 }), ['up', '-d']);
  await h.run('solo');
  return h;
}

/**
 * Docker's embedded DNS: net-a with a1 and a2 (alias cache), net-b with b1, ab on both, c0 and c1 on the default
 * bridge; dnsx on net-a with --dns 127.0.0.1 (dockerd forwards what it does not know to the container's own
 * loopback); n1 on net-a with its resolver NAT rewritten as Docker 29's nftables backend writes it (`ip docker-dns`).
 * The host has no default route: what dockerd forwards upstream cannot leave it.
 */
export async function dnsScenario(lab: Lab, name = 'dns1'): Promise<LabHost> {
  const h = await lab.host(name);
  await h.docker(['network', 'create', 'net-a']);
  await h.docker(['network', 'create', 'net-b']);
  await Promise.all([
    h.run('a1', { network: 'net-a' }),
    h.run('a2', { network: 'net-a', extra: ['--network-alias', 'cache'] }),
    h.run('b1', { network: 'net-b' }),
    h.run('ab', { network: 'net-a' }),
    h.run('c0'),
    h.run('c1'),
    h.run('dnsx', { network: 'net-a', extra: ['--dns', '127.0.0.1'] }),
    h.run('n1', { network: 'net-a' }),
  ]);
  await h.docker(['network', 'connect', 'net-b', 'ab']);
  await asDocker29Dns(h, 'n1');
  return h;
}

/**
 * Mixed families on one dual-stack daemon (dockerd 20.10 --ipv6, the default bridge fd00:1::/64): a6 on the default
 * bridge has both; c4 and d4 on net4, a user network without IPv6, have IPv4 only.
 */
export async function mixedFamiliesScenario(lab: Lab, name = 'v6mixed'): Promise<LabHost> {
  const h = await lab.host(name, { extraDaemonArgs: ['--ipv6', '--fixed-cidr-v6', 'fd00:1::/64'] });
  await h.docker(['network', 'create', '--subnet', '172.31.0.0/16', 'net4']);
  await h.run('a6');
  await h.run('c4', { network: 'net4' });
  await h.run('d4', { network: 'net4' });
  return h;
}

/**
 * Rewrite a container's resolver NAT from dockerd 20.10's iptables rules into the `ip docker-dns` table dockerd 29
 * writes with --firewall-backend=nftables (moby resolver_unix.go setupNftablesNAT), to the same resolver ports.
 */
export async function asDocker29Dns(h: LabHost, container: string): Promise<void> {
  const key = (await h.docker(['inspect', '-f', '{{.NetworkSettings.SandboxKey}}', container])).trim();
  const save = await h.mustExec('nsenter', [`--net=${key}`, 'iptables-save', '-t', 'nat']);
  const port = (proto: string) => new RegExp(`-p ${proto} .*--dport 53 -j DNAT --to-destination 127\\.0\\.0\\.11:(\\d+)`).exec(save)?.[1];
  const udp = port('udp');
  const tcp = port('tcp');
  if (!udp || !tcp) throw new Error(`no resolver DNAT rules in ${container}'s namespace:\n${save}`);
  const ipt = (...args: string[]) => h.mustExec('nsenter', [`--net=${key}`, 'iptables', '-t', 'nat', ...args]);
  await ipt('-D', 'OUTPUT', '-d', '127.0.0.11/32', '-j', 'DOCKER_OUTPUT');
  await ipt('-D', 'POSTROUTING', '-d', '127.0.0.11/32', '-j', 'DOCKER_POSTROUTING');
  await ipt('-F', 'DOCKER_OUTPUT');
  await ipt('-F', 'DOCKER_POSTROUTING');
  await ipt('-X', 'DOCKER_OUTPUT');
  await ipt('-X', 'DOCKER_POSTROUTING');
  const table = [
    'table ip docker-dns {',
    '\tchain dns-dnat {',
    '\t\ttype nat hook output priority -100; policy accept;',
    `\t\tip daddr 127.0.0.11 udp dport 53 counter dnat to 127.0.0.11:${udp}`,
    `\t\tip daddr 127.0.0.11 tcp dport 53 counter dnat to 127.0.0.11:${tcp}`,
    '\t}',
    '\tchain dns-snat {',
    '\t\ttype nat hook postrouting priority 100; policy accept;',
    `\t\tip saddr 127.0.0.11 udp sport ${udp} counter snat to :53`,
    `\t\tip saddr 127.0.0.11 tcp sport ${tcp} counter snat to :53`,
    '\t}',
    '}',
  ].join('\n');
  await h.feed('nsenter', [`--net=${key}`, 'nft', '-f', '-'], `${table}\n`);
}

/**
 * A firewall dropping Docker's DNS forwarder: a host on the LAN (10.77.0.21/24) with a default route into the lab's
 * switch, net-a with a1 and a2, and an administrator's DOCKER-USER drop of DNS (udp and tcp 53) forwarded from
 * containers — dockerd 20.10 queries the host's non-loopback servers from the containers' namespaces, through FORWARD.
 */
export async function dnsFirewallScenario(lab: Lab, name = 'dns2'): Promise<LabHost> {
  const h = await lab.host(name, { lan: '10.77.0.21/24' });
  await h.mustExec('ip', ['route', 'add', 'default', 'via', '10.77.0.1']);
  await h.docker(['network', 'create', 'net-a']);
  await Promise.all([h.run('a1', { network: 'net-a' }), h.run('a2', { network: 'net-a' })]);
  for (const proto of ['udp', 'tcp']) await h.mustExec('iptables', ['-I', 'DOCKER-USER', '-p', proto, '--dport', '53', '-j', 'DROP']);
  return h;
}

/**
 * "Docker took my LAN": two hosts on the LAN 10.77.0.0/24 (col1 .11, col2 .12). On col1, net-lan's explicit subnet
 * 10.77.0.0/16 collides with the LAN (x1 on it looks for the whole /16 on its bridge), and net-vpn's 10.99.0.0/24
 * collides with col1's route 10.99.0.0/16 via col2 (a VPN's prefix: col1 itself then sends 10.99.0.x into br-vpn);
 * d1 on col1's default bridge. col2 (docker0 10.88.0.1/24, routed from col1) holds 10.99.0.12 on lo, runs w2 on
 * docker0 and hostc2 in its own namespace (httpd on :80), and accepts forwarded LAN traffic into docker0. A second
 * VPN-like prefix, 10.66.0.0/16, is policy-routed (`ip rule to 10.66.0.0/16 lookup 100`, its route via col2 in
 * table 100, col2 holding 10.66.0.12): col1's net-tbl (10.66.1.0/24, t1 on it) loses to that rule on col1 itself.
 * On col2, net-own (10.55.0.0/24, o2 on it) holds col2's own address 10.55.0.12 (on lo) in its range.
 */
export async function collideScenario(lab: Lab): Promise<[LabHost, LabHost]> {
  const [h1, h2] = await Promise.all([lab.host('col1', { lan: '10.77.0.11/24' }), lab.host('col2', { lan: '10.77.0.12/24', bip: '10.88.0.1/24' })]);
  await h1.mustExec('ip', ['route', 'add', '10.88.0.0/24', 'via', '10.77.0.12']);
  await h1.mustExec('ip', ['route', 'add', '10.99.0.0/16', 'via', '10.77.0.12']);
  await h2.mustExec('ip', ['addr', 'add', '10.99.0.12/32', 'dev', 'lo']);
  await h2.mustExec('ip', ['addr', 'add', '10.66.0.12/32', 'dev', 'lo']);
  await h2.mustExec('ip', ['addr', 'add', '10.55.0.12/32', 'dev', 'lo']);
  await h1.mustExec('ip', ['route', 'add', '10.66.0.0/16', 'via', '10.77.0.12', 'table', '100']);
  await h1.mustExec('ip', ['rule', 'add', 'to', '10.66.0.0/16', 'lookup', '100', 'priority', '100']);
  await h2.mustExec('iptables', ['-I', 'DOCKER-USER', '-i', 'eth0', '-o', 'docker0', '-j', 'ACCEPT']);
  // Explicit subnets: dockerd 20.10 refuses none; its own pool skips on-link prefixes only (the lab test measures it).
  await h1.docker(['network', 'create', '--subnet', '10.77.0.0/16', 'net-lan']);
  await h1.docker(['network', 'create', '--subnet', '10.99.0.0/24', 'net-vpn']);
  await h1.docker(['network', 'create', '--subnet', '10.66.1.0/24', 'net-tbl']);
  await h2.docker(['network', 'create', '--subnet', '10.55.0.0/24', 'net-own']);
  await Promise.all([h1.run('d1'), h1.run('x1', { network: 'net-lan' }), h1.run('v1', { network: 'net-vpn' }), h1.run('t1', { network: 'net-tbl' }), h2.run('w2'), h2.run('o2', { network: 'net-own' }), h2.run('hostc2', { network: 'host' })]);
  return [h1, h2];
}

/**
 * Secrets where Docker keeps them, for the snapshot's label and option filter: `web` carries Traefik's basic-auth users
 * (an htpasswd line: hashes, but crackable) and compose's labels, a password in its environment and one on its command
 * line; net-sec a vendor's option and label beside Docker's own; lan-sec a macvlan network's parent and mode (the
 * built-in options netdiag reads). The values are markers a test can look for in whatever netdiag writes.
 */
export const SECRETS = {
  label: 'traefik.http.middlewares.auth.basicauth.users',
  users: 'admin:$apr1$netdiag0$Wm8nHeJ3S3cretHashLab0/',
  env: 'DB_PASSWORD=hunter2-env-s3cret',
  arg: 'realm-arg-s3cret',
  netOption: 'vendor.apikey=net-opt-s3cret',
  netLabel: 'vendor.token=net-label-s3cret',
} as const;

export async function secretsScenario(lab: Lab, name = 'secrets'): Promise<LabHost> {
  const h = await lab.host(name, { lan: '10.79.0.2/24' });
  await h.docker(['network', 'create', '-d', 'bridge', '-o', 'com.docker.network.driver.mtu=1400', '-o', SECRETS.netOption, '--label', SECRETS.netLabel, '--label', 'com.docker.compose.project=shop', 'net-sec']);
  await h.docker(['network', 'create', '-d', 'macvlan', '-o', 'parent=eth0', '-o', 'macvlan_mode=bridge', '--subnet', '10.79.0.0/24', '--gateway', '10.79.0.1', '--ip-range', '10.79.0.128/25', 'lan-sec']);
  const compose = ['project=shop', 'service=web', 'container-number=1', 'oneoff=False', 'config-hash=5f0c', 'project.working_dir=/srv/shop'].flatMap((l) => ['--label', `com.docker.compose.${l}`]);
  await h.run('web', { network: 'net-sec', extra: ['--label', `${SECRETS.label}=${SECRETS.users}`, ...compose, '-e', SECRETS.env], cmd: ['httpd', '-f', '-p', '80', '-h', '/var/www', '-r', SECRETS.arg] });
  await h.run('lan', { network: 'lan-sec' });
  return h;
}
