// Fixes where nftables decides: Docker 29's backend (no DOCKER-USER; openings through Docker's own configuration,
// shown and predicted, never applied) and an operator's own table (its rule removed, restorable in place).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNftJson } from '../../../collectors/nft-json.js';
import { chooseFix, listFixes } from '../../../actuation/fix.js';
import { applySteps } from '../../../rules/changes/predict.js';
import { parseFlow } from '../../../rules/query/flow.js';
import { buildWorld } from '../../../rules/model/build.js';
import { why } from '../../../rules/why/why.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import type { HostSnapshot } from '../../../snapshot/host-snapshot.js';
import { CAPTURED, mobyDir } from '../fixtures.js';
import { nftBackendHost, seedHost } from '../derive.js';

describe('Docker 29\'s nftables backend: c0 (docker0) → c1 (bridge1), dropped as direct access in raw-PREROUTING', () => {
  const s = nftBackendHost('docker29-user-defined-bridge.nft.json');
  const world = buildWorld([s]);
  const q = { world, from: 'c0', to: 'c1', flow: parseFlow(undefined) };
  const { fixes } = listFixes(q);
  const docker = fixes.find((f) => f.kind === 'docker-daemon')!;

  it('offers Docker\'s own configuration (direct routing and a firewall mark), never a DOCKER-USER rule', () => {
    expect(fixes.some((f) => f.kind === 'docker-user')).toBe(false);
    expect(docker.commands).toEqual([
      'set "allow-direct-routing": true in /etc/docker/daemon.json, then systemctl restart docker',
      'set "bridge-accept-fwmark": "0x1/0x1" in /etc/docker/daemon.json, then systemctl restart docker',
      expect.stringMatching(/^nft add table inet netdiag; nft add chain inet netdiag mark-forward '\{ type filter hook forward priority -1; policy accept; \}'; nft add rule inet netdiag mark-forward ip saddr 172\.17\.0\.\d+ ip daddr 192\.0\.2\.2 meta mark set 1 comment "netdiag:fx-[0-9a-f]{8}"$/),
    ]);
  });

  it('predicts it from those same steps: reachable once dockerd accepts the mark', () => {
    expect(docker.predicted.forward).toBe('reachable');
    const after = buildWorld(applySteps([s], docker.steps));
    expect(why(after, 'c0', 'c1', parseFlow(undefined)).addresses[0]!.decidedBy?.text).toMatch(/ALLOW FW MARK/);
    // Without the daemon change, the mark alone opens nothing: Docker's drop is final.
    const markOnly = buildWorld(applySteps([s], docker.steps.filter((x) => x.kind === 'nft-insert')));
    expect(why(markOnly, 'c0', 'c1', parseFlow(undefined)).verdict).toBe('blocked');
  });

  it('is never applied: it needs dockerd restarted', () => {
    expect(() => chooseFix(q, { id: docker.id, acceptWider: true })).toThrow(/needs Docker's daemon configuration changed and dockerd restarted first/);
  });
});

describe('an operator\'s inet table drops redis-2 → redis-1 on the seed host', () => {
  const s = seedHost();
  s.nftables = parseNftJson(readFileSync(join(CAPTURED, 'nft/ops-beside-iptables-nft.nft.json'), 'utf8'));
  s.nftables.tables = s.nftables.tables.filter((t) => t.source === 'nft');
  s.nftables.sets.find((x) => x.name === 'blocked')!.elem.push('172.18.0.3');
  const world = buildWorld([s]);
  const flow = parseFlow('80/tcp');

  it('is decided by that table, cited by family, table, chain and handle', () => {
    expect(why(world, 'redis-2', 'redis-1', flow).addresses[0]!.decidedBy).toMatchObject({ family: 'inet', table: 'inet ops', chain: 'forward_ops', handle: 5, text: 'ip saddr @blocked counter drop comment "ops block"' });
  });

  it('offers removing the rule (restorable in place), and no DOCKER-USER accept, which could not undo that drop', () => {
    const { fixes } = listFixes({ world, from: 'redis-2', to: 'redis-1', flow });
    expect(fixes.map((f) => f.kind)).toEqual(['remove-rule']);
    expect(fixes[0]).toMatchObject({ predicted: { forward: 'reachable' }, commands: ['nft delete rule inet ops forward_ops handle 5'], steps: [{ kind: 'nft-delete', index: 0, rule: { comment: 'ops block' } }] });
  });
});

describe('tables the walk does not evaluate', () => {
  it('a bridge-family table with rules makes bridged verdicts unknown, naming it, rather than guessed', async () => {
    const s = seedHost();
    s.nftables = { version: null, tables: [{ family: 'bridge', name: 'l2', handle: 1, source: 'nft' }], chains: [{ family: 'bridge', table: 'l2', name: 'fw', handle: 1, type: 'filter', hook: 'forward', prio: 0, policy: 'accept' }], rules: [{ family: 'bridge', table: 'l2', chain: 'fw', handle: 2, comment: null, expr: [{ drop: null }] }], sets: [] };
    const a = why(buildWorld([s]), 'redis-1', 'redis-2', parseFlow(undefined));
    expect(a.verdict).toBe('unknown');
    expect(a.addresses[0]!.decidedBy).toMatchObject({ kind: 'unknown-rule', code: 'unknown', family: 'bridge', table: 'bridge l2', chain: 'fw' });
  });
});
