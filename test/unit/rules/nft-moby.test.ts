// Docker 29's nftables backend, from moby's own generated rules (nft -j of each docs scenario), evaluated around the
// lab topology those docs use (bridge1 = 192.0.2.0/24 with c1 = 192.0.2.2 published 8080:80; c0 on docker0; a peer
// host routing to 192.0.2.0/24), with iptables emptied as on a host running that backend.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNftJson } from '../../../collectors/nft-json.js';
import { dockerMeaning } from '../../../present/decision-text.js';
import { parseFlow } from '../../../rules/query/flow.js';
import { buildWorld } from '../../../rules/model/build.js';
import { why } from '../../../rules/why/why.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import type { HostSnapshot } from '../../../snapshot/host-snapshot.js';
import { CAPTURED } from '../fixtures.js';
import { nftBackendHost, seedHost } from '../derive.js';

const load = (f: string) => parseSnapshot(JSON.parse(readFileSync(join(CAPTURED, 'moby-topology', f), 'utf8')));
const peer = load('peer.json');

type Expect = { verdict: 'reachable' | 'blocked'; chain?: string; code?: string };
const dropped = (chain: string, code: string): Expect => ({ verdict: 'blocked', chain, code });
const accepted = (chain: string): Expect => ({ verdict: 'reachable', chain });

function check(s: HostSnapshot, from: string, to: string, flow: string | undefined, e: Expect) {
  const a = why(buildWorld([s, peer]), from, to, parseFlow(flow));
  const d = a.addresses[0]!.decidedBy;
  expect({ verdict: a.verdict, chain: e.chain === undefined ? undefined : d?.chain, code: e.code === undefined ? undefined : d?.code }, `${from} → ${to} ${flow ?? 'ping'}: ${d?.reason}`).toEqual(e);
  if (d?.family) expect(d.table).toBe('ip docker-bridges');
  return d;
}

describe.each([
  ['docker29-user-defined-bridge.nft.json', 'published port; raw drops direct access to the container from anywhere but its bridge'],
  ['docker29-user-defined-bridge-noproxy.nft.json', 'the same without the userland proxy'],
  ['docker29-user-defined-bridge-noicc.nft.json', 'the same with ICC off (between networks nothing changes)'],
])('%s — %s', (fixture) => {
  const s = nftBackendHost(fixture);
  it('c0 on docker0 → c1: isolated from other networks, by "DROP DIRECT ACCESS" in raw-PREROUTING', () => {
    const d = check(s, 'docker/c0', 'docker/c1', undefined, dropped('raw-PREROUTING', 'isolation'));
    expect(d?.text).toMatch(/comment "DROP DIRECT ACCESS"$/);
    expect(d?.handle).toEqual(expect.any(Number));
    // The same meaning, in the same words, as Docker's isolation on the iptables backend (the seed's DOCKER-ISOLATION-STAGE-2).
    const iptables = why(buildWorld([seedHost()]), 'alpine-01', 'redis-1', parseFlow(undefined)).addresses[0]!.decidedBy!;
    expect(iptables).toMatchObject({ chain: 'DOCKER-ISOLATION-STAGE-2', code: 'isolation' });
    expect(dockerMeaning(d!)).not.toBeNull();
    expect(dockerMeaning(d!)).toBe(dockerMeaning(iptables));
  });
  it('the peer host routing to c1 directly: dropped, by the same rule, as direct access (any port)', () => {
    for (const port of [undefined, '80/tcp', '81/tcp']) check(s, 'peer/peer-1', 'docker/c1', port, dropped('raw-PREROUTING', 'direct-access'));
  });
  it('the peer through the published port on the host: DNAT, then accepted for the published port', () => {
    check(s, 'peer/peer-1', '10.66.0.1', '8080/tcp', accepted('filter-forward-in__bridge1'));
  });
});

describe('docker29-gateway-routed.nft.json: no NAT, no direct-access drop', () => {
  const s = nftBackendHost('docker29-gateway-routed.nft.json');
  it('ICMP and the published port are accepted; anything else is "UNPUBLISHED PORT DROP"', () => {
    check(s, 'peer/peer-1', 'docker/c1', undefined, accepted('filter-forward-in__bridge1'));
    check(s, 'peer/peer-1', 'docker/c1', '80/tcp', accepted('filter-forward-in__bridge1'));
    const d = check(s, 'peer/peer-1', 'docker/c1', '81/tcp', dropped('filter-forward-in__bridge1', 'unpublished-port'));
    expect(d?.text).toMatch(/comment "UNPUBLISHED PORT DROP"$/);
  });
});

describe('docker29-gateway-nat-unprotected.nft.json: every port open by direct routing, and no isolation', () => {
  const s = nftBackendHost('docker29-gateway-nat-unprotected.nft.json');
  it('accepted as "UNPROTECTED", from the peer and from another network', () => {
    check(s, 'peer/peer-1', 'docker/c1', '80/tcp', accepted('filter-forward-in__bridge1'));
    check(s, 'docker/c0', 'docker/c1', undefined, accepted('filter-forward-in__bridge1'));
    check(s, 'peer/peer-1', '10.66.0.1', '8080/tcp', accepted('filter-forward-in__bridge1'));
  });
});

describe('docker29-publish-loopback.nft.json: -p 127.0.0.1:8080:80', () => {
  const s = nftBackendHost('docker29-publish-loopback.nft.json');
  it('direct access is dropped as with any nat network', () => {
    check(s, 'peer/peer-1', 'docker/c1', '80/tcp', dropped('raw-PREROUTING', 'direct-access'));
  });
});

describe('docker29-internal.nft.json: an --internal network (bridgeICC)', () => {
  const s = nftBackendHost('docker29-internal.nft.json', 'bridgeICC');
  it('nothing gets in or out: "INTERNAL NETWORK INGRESS" / "EGRESS" (code internal)', () => {
    const d = check(s, 'docker/c0', 'docker/c1', undefined, dropped('filter-forward-in__bridgeICC', 'internal'));
    expect(d?.text).toMatch(/INTERNAL NETWORK INGRESS/);
    check(s, 'peer/peer-1', 'docker/c1', undefined, dropped('filter-forward-in__bridgeICC', 'internal'));
  });
});

describe('docker29-default-bridge.nft.json: a daemon with only docker0', () => {
  const s = nftBackendHost('docker29-default-bridge.nft.json');
  it('into docker0 from elsewhere: "UNPUBLISHED PORT DROP"; out of docker0: "OUTGOING"', () => {
    check(s, 'docker/c1', 'docker/c0', undefined, dropped('filter-forward-in__docker0', 'isolation'));
    check(s, 'peer/peer-1', 'docker/c0', undefined, { verdict: 'blocked' });
  });
});
