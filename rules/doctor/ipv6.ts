// Doctor: IPv6 on a Docker host. Docker before 27 (and any daemon with "ip6tables": false) gives IPv6 networks
// addresses and routes but no filter rules: with IPv6 forwarding on, networks IPv4 isolates reach each other over
// IPv6, and every container port is open to whoever routes to the subnet — published or not.
import type { HostSnapshot } from '../../snapshot/host-snapshot.js';
import type { Finding } from './finding.js';
import { filterAccepts } from './firewalls.js';
import type { SnapshotRules } from '../meaning/host.js';
import { ADMIN_CHAIN, DOCKER_CHAINS, DOCKER_NFT } from '../meaning/layouts.js';

type Network = NonNullable<HostSnapshot['docker']>['networks'][number];

const v6Subnets = (n: Network) => n.subnets.map((s) => s.subnet).filter((s) => s.includes(':'));

/** Whether Docker filters IPv6 here: its chains in ip6tables, or its ip6 table in nftables (Docker 29). */
function dockerFiltersIpv6(s: HostSnapshot): boolean | null {
  if (s.nftables?.tables.some((t) => t.family === 'ip6' && t.name === DOCKER_NFT.table && t.source === 'nft')) return true;
  const tables6 = s.firewall?.tables6;
  // Unread (no permission, or a snapshot from before IPv6 was collected): the collector already said so; never guess.
  if (tables6 === null || tables6 === undefined) return null;
  return tables6.some((t) => t.chains.some((c) => DOCKER_CHAINS.has(c.name)));
}

export function ipv6Findings(s: HostSnapshot, rules: SnapshotRules): Finding[] {
  const out: Finding[] = [];
  const host = s.name;
  const sys = s.sysctls?.values ?? {};
  const nets = (s.docker?.networks ?? []).filter((n) => n.driver === 'bridge' && n.bridge !== null && n.ipv6 && v6Subnets(n).length > 0);
  const forwarding = sys['net.ipv6.conf.all.forwarding'] === '1';
  const filters = dockerFiltersIpv6(s);
  const filter6 = s.firewall?.tables6?.find((t) => t.name === 'filter');
  const forward6 = filter6?.chains.find((c) => c.name === 'FORWARD');
  // Without Docker's chains, IPv6 is open only if nothing else drops forwarded IPv6 (an operator's policy DROP).
  const open = forwarding && filters === false && (forward6 === undefined || forward6.policy === 'ACCEPT');
  const noRules = ['ip6tables: no DOCKER chains (Docker is not filtering IPv6)', 'net.ipv6.conf.all.forwarding = 1', `ip6tables filter FORWARD policy ${forward6?.policy ?? 'ACCEPT (no filter table loaded)'}`];
  const enable = 'set "ip6tables": true in /etc/docker/daemon.json (on Docker 20.10–26 also "experimental": true; the default from Docker 27) and restart dockerd';

  if (open && nets.length >= 2) {
    const pairs = nets.flatMap((a, i) => nets.slice(i + 1).map((b) => `${a.name} ↔ ${b.name}`));
    out.push({
      code: 'ipv6-not-isolated', severity: 'error', host,
      title: `Docker isolates its networks over IPv4 only: ${pairs.join(', ')} reach each other over IPv6`,
      evidence: [...nets.map((n) => `network ${n.name} on ${n.bridge}: ${v6Subnets(n).join(', ')}`), ...noRules],
      fix: enable,
    });
  }
  if (open && nets.length >= 1) {
    out.push({
      code: 'ipv6-unfiltered', severity: 'warning', host,
      title: `containers on ${nets.map((n) => n.name).join(', ')} are reachable on every port over IPv6 from anything that routes to their subnets, published or not`,
      evidence: [...nets.map((n) => `network ${n.name}: ${v6Subnets(n).join(', ')}`), ...noRules],
      fix: enable,
    });
  }

  // The bridge lost its IPv6 (disable_ipv6 on it, an address removed by hand): Docker still hands out addresses in the
  // subnet, but the host has no route to them, so no IPv6 leaves or reaches the network.
  const routes6 = (s.routes?.routes ?? []).filter((r) => r.family === 'inet6' && r.table === 'main');
  if (s.routes) {
    for (const n of nets) {
      for (const subnet of v6Subnets(n)) {
        if (routes6.some((r) => r.dst === subnet && r.dev === n.bridge)) continue;
        const off = sys[`net.ipv6.conf.${n.bridge}.disable_ipv6`];
        out.push({
          code: 'ipv6-subnet-unrouted', severity: 'error', host,
          title: `network ${n.name} has the IPv6 subnet ${subnet}, but the host has no route to it on ${n.bridge}: its containers' IPv6 reaches nothing beyond the bridge`,
          evidence: [`network ${n.name} on ${n.bridge}: ${subnet}`, `no route ${subnet} dev ${n.bridge} in table main`, ...(off === '1' ? [`net.ipv6.conf.${n.bridge}.disable_ipv6 = 1`] : [])],
          fix: off === '1' ? `sysctl -w net.ipv6.conf.${n.bridge}.disable_ipv6=0, then restart dockerd so it gives ${n.bridge} its gateway address again` : `restart dockerd, which gives ${n.bridge} its IPv6 gateway address and the kernel the route with it`,
        });
      }
    }
  }

  // Forwarding on makes the kernel ignore router advertisements unless accept_ra is 2: an uplink that got its IPv6
  // default route from an RA keeps it only until the route's lifetime runs out (dockerd --ipv6 turns forwarding on).
  if (forwarding) {
    for (const r of (s.routes?.routes ?? []).filter((x) => x.family === 'inet6' && x.dst === '::/0' && x.protocol === 'ra' && x.dev)) {
      const ra = sys[`net.ipv6.conf.${r.dev}.accept_ra`];
      if (ra !== '0' && ra !== '1') continue;
      out.push({
        code: 'ipv6-forwarding-ignores-ra', severity: 'warning', host,
        title: `IPv6 forwarding is on, so ${r.dev} ignores router advertisements: its IPv6 default route (learnt from one) lapses when its lifetime ends`,
        evidence: ['net.ipv6.conf.all.forwarding = 1', `net.ipv6.conf.${r.dev}.accept_ra = ${ra}`, `route default via ${r.gateway ?? '?'} dev ${r.dev} proto ra`],
        fix: `sysctl -w net.ipv6.conf.${r.dev}.accept_ra=2, and persist it in /etc/sysctl.d/ (or configure the IPv6 default route statically)`,
      });
    }
  }

  // Docker with ip6tables sets ip6tables' FORWARD policy to DROP too: other bridges' IPv6 is cut off as IPv4's is.
  if (forward6?.policy === 'DROP' && filters === true) {
    const docker = new Set((s.docker?.networks ?? []).map((n) => n.bridge));
    // Docker 20.10's ip6tables support makes no DOCKER-USER chain (later versions do).
    const chain = filter6?.chains.some((c) => c.name === ADMIN_CHAIN) ? ADMIN_CHAIN : 'FORWARD';
    for (const br of (s.links?.interfaces ?? []).filter((i) => i.kind === 'bridge' && !docker.has(i.name))) {
      const global6 = br.addresses.find((a) => a.family === 'inet6' && !a.local.toLowerCase().startsWith('fe80:'));
      if (!global6) continue;
      if (filterAccepts(rules.ruleset6, br.name)) continue;
      out.push({
        code: 'ip6-forward-drop-foreign-bridge', severity: 'warning', host,
        title: `bridge ${br.name} is not Docker's, and ip6tables' FORWARD policy DROP (set by Docker) cuts off the IPv6 it forwards`,
        evidence: ['ip6tables filter FORWARD policy DROP', `bridge ${br.name} ${global6.local}/${global6.prefixLen}, no ip6tables ACCEPT rule names it`],
        fix: `ip6tables -I ${chain} -i ${br.name} -j ACCEPT; ip6tables -I ${chain} -o ${br.name} -j ACCEPT${chain === 'FORWARD' ? ' (this Docker makes no DOCKER-USER chain for IPv6, and rewrites FORWARD when it restarts: persist the rules)' : ''}`,
      });
    }
  }
  return out;
}
