// `why --json` collects A's and B's networks whole, not the host: its fixes (what each opens besides included) are the
// whole host's whenever fix-reach.ts says they stay on the pair's networks. Replayed from dns1's lab recording (dockerd
// 20.10: eight containers on net-a, net-b and the default bridge, one of them on two networks).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Recording, replayContext } from '../../../collectors/recording.js';
import { collectSnapshot } from '../../../collectors/run.js';
import { questionScope } from '../../../collectors/scope.js';
import { buildWorld } from '../../../rules/model/build.js';
import { why } from '../../../rules/why/why.js';
import { parseFlow } from '../../../rules/query/flow.js';
import { fixesFor } from '../../../rules/changes/fixes.js';
import { fixesStayOnPairNetworks } from '../../../rules/changes/fix-reach.js';
import { CAPTURED } from '../fixtures.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';

const rec = Recording.parse(JSON.parse(readFileSync(join(CAPTURED, 'dns/dns1.recording.json'), 'utf8')));
// `ss -Htlun` is `ss -Htlunp` without its users:(…) column: derived from the captured output, as ss prints it.
const ssp = rec.commands['ss -Htlunp']!;
rec.commands['ss -Htlun'] = { ...ssp, stdout: ssp.stdout.replace(/\s+users:\(\(.*\)\)/g, '') };
// As `why A B --json` collects for a ping by name (cli/commands/why.ts): names and sockets only in A's and B's
// namespaces, the host's sockets without their processes, the other iptables backend not counted.
const asWhy = { namesOfAskedOnly: true, socketProcesses: false, otherBackend: false };
const collect = (words?: string[]) => collectSnapshot({ hostName: 'dns1', context: replayContext(rec), now: () => new Date('2026-12-04T00:00:00Z'), ...(words ? { scope: questionScope(words, { pairNetworks: true }), ...asWhy } : {}) });

describe('why --json scoped to the pair\'s networks', async () => {
  const full = buildWorld([await collect()]);
  const names = full.hosts[0]!.containers.map((c) => c.name).sort();

  it('collects A, B and every container on their networks (b1 on net-b, c0 on the default bridge: ab, c1 too)', async () => {
    const s = await collect(['b1', 'c0']);
    expect(s.docker!.containers.map((c) => c.name).sort()).toEqual(['ab', 'b1', 'c0', 'c1']);
    expect(s.scope).not.toBeNull();
    // Names and sockets: read in b1's and c0's namespaces only; the routes of all four.
    const nameOf = new Map(s.docker!.containers.map((c) => [c.id, c.name]));
    expect(s.dns!.sandboxes.map((x) => nameOf.get(x.containerId)).sort()).toEqual(['b1', 'c0']);
    expect(s.sockets!.sandboxes.map((x) => nameOf.get(x.containerId)).sort()).toEqual(['b1', 'c0']);
    expect(s.routes!.sandboxes.length).toBe(4);
    expect(s.firewall!.otherBackend).toBeNull();
    // The host's sockets as the whole host's, less the processes (a ping's answer never names them).
    const whole = await collect();
    expect(s.sockets!.host).toEqual(whole.sockets!.host.map((x) => ({ ...x, process: null })));
  });

  it('a question with a port (its sockets and a namespace\'s own NAT may decide) still reads every collected namespace\'s names and sockets, and a snapshot counts the other backend', async () => {
    const s = await collectSnapshot({ hostName: 'dns1', context: replayContext(rec), scope: questionScope(['b1', 'c0'], { pairNetworks: true }) });
    expect(s.dns!.sandboxes).toHaveLength(4);
    expect(s.sockets!.sandboxes).toHaveLength(4);
    expect((await collect()).firewall!.otherBackend).not.toBeNull();
  });

  it('for every pair, fixes that stay on the pair\'s networks are the whole host\'s, also-opens and order included', async () => {
    const flow = parseFlow(undefined);
    let stayed = 0;
    let smaller = 0;
    for (const a of names) {
      for (const b of names) {
        if (a === b) continue;
        const snap = await collect([a, b]);
        const part = buildWorld([snap]);
        const answer = why(part, a, b, flow);
        const fixes = fixesFor(part, answer, flow);
        if (!fixesStayOnPairNetworks(part, fixes)) continue;
        stayed++;
        if (snap.docker!.containers.length < names.length) smaller++;
        const whole = why(full, a, b, flow);
        expect(answer, `${a} → ${b}`).toEqual(whole);
        expect(fixes, `${a} → ${b}`).toEqual(fixesFor(full, whole, flow));
      }
    }
    // The comparison ran, and on collections that were smaller than the host.
    expect(stayed).toBe(56);
    expect(smaller).toBeGreaterThan(40);
  });

  it('a fix reaching beyond the pair (forwarding, a rule removed), or a rule not Docker\'s on the host, collects the whole host', async () => {
    const flow = parseFlow(undefined);
    const answer = why(full, 'b1', 'c0', flow);
    const fixes = fixesFor(full, answer, flow);
    expect(fixes.length).toBeGreaterThan(0);
    expect(fixesStayOnPairNetworks(full, fixes)).toBe(true);
    const forward = { ...fixes[0]!, kind: 'ip-forward' as const, steps: [{ kind: 'sysctl' as const, host: 'dns1', key: 'net.ipv4.ip_forward', value: '1' }] };
    expect(fixesStayOnPairNetworks(full, [...fixes, forward])).toBe(false);
    // p1 (captured): an administrator's rules in DOCKER-USER.
    const p1 = buildWorld([parseSnapshot(JSON.parse(readFileSync(join(CAPTURED, 'policy/p1.json'), 'utf8')))]);
    expect(fixesStayOnPairNetworks(p1, [])).toBe(false);
  });
});
