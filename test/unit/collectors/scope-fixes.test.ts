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
const collect = (words?: string[], enterAll = false) => collectSnapshot({ hostName: 'dns1', context: replayContext(rec), now: () => new Date('2026-12-04T00:00:00Z'), ...(words ? { scope: questionScope(words, { pairNetworks: true, enterAll }), ...asWhy } : {}) });

describe('why --json scoped to the pair\'s networks', async () => {
  const full = buildWorld([await collect()]);
  const names = full.hosts[0]!.containers.map((c) => c.name).sort();

  it('collects A, B and every container on their networks (b1 on net-b, c0 on the default bridge: ab, c1 too)', async () => {
    const s = await collect(['b1', 'c0']);
    expect(s.docker!.containers.map((c) => c.name).sort()).toEqual(['ab', 'b1', 'c0', 'c1']);
    expect(s.scope).not.toBeNull();
    // Names and sockets: read in b1's and c0's namespaces only; the routes of b1, c0 and ab (on two networks, which
    // Docker's data does not describe whole); c1, one address on one bridge network, is inspected, not entered.
    const nameOf = new Map(s.docker!.containers.map((c) => [c.id, c.name]));
    expect(s.dns!.sandboxes.map((x) => nameOf.get(x.containerId)).sort()).toEqual(['b1', 'c0']);
    expect(s.sockets!.sandboxes.map((x) => nameOf.get(x.containerId)).sort()).toEqual(['b1', 'c0']);
    expect(s.routes!.sandboxes.map((x) => nameOf.get(x.containerId)).sort()).toEqual(['ab', 'b1', 'c0']);
    expect(s.links!.sandboxes.map((x) => nameOf.get(x.containerId)).sort()).toEqual(['ab', 'b1', 'c0']);
    expect(s.notEntered).toEqual(['c1']);
    // --all-namespaces: all four entered, and the snapshot says none was left out.
    const all = await collect(['b1', 'c0'], true);
    expect(all.routes!.sandboxes.length).toBe(4);
    expect(all.notEntered).toBeUndefined();
    expect(s.firewall!.otherBackend).toBeNull();
    // The host's sockets as the whole host's, less the processes (a ping's answer never names them).
    const whole = await collect();
    expect(s.sockets!.host).toEqual(whole.sockets!.host.map((x) => ({ ...x, process: null })));
  });

  it('a question with a port (its sockets and a namespace\'s own NAT may decide) still reads every collected namespace\'s names and sockets, and a snapshot counts the other backend', async () => {
    const s = await collectSnapshot({ hostName: 'dns1', context: replayContext(rec), scope: questionScope(['b1', 'c0'], { pairNetworks: true }) });
    // Sockets through /proc (no process each): every collected one's; names (iptables inside) only where entered.
    expect(s.dns!.sandboxes).toHaveLength(3);
    expect(s.sockets!.sandboxes).toHaveLength(4);
    expect((await collect()).firewall!.otherBackend).not.toBeNull();
  });

  it('for every pair, fixes that stay on the pair\'s networks are the whole host\'s, also-opens and order included; pairs through a namespace not entered say so', async () => {
    const flow = parseFlow(undefined);
    let stayed = 0;
    let smaller = 0;
    let assumed = 0;
    for (const a of names) {
      for (const b of names) {
        if (a === b) continue;
        // --all-namespaces on a few pairs (each entered whole: the old answer, which the check below also covers).
        for (const enterAll of stayed < 4 ? [false, true] : [false]) {
          const snap = await collect([a, b], enterAll);
          const part = buildWorld([snap]);
          const answer = why(part, a, b, flow);
          const fixes = fixesFor(part, answer, flow);
          if (!fixesStayOnPairNetworks(part, fixes)) continue;
          stayed++;
          if (snap.docker!.containers.length < names.length) smaller++;
          const whole = why(full, a, b, flow);
          expect(answer, `${a} → ${b}`).toEqual(whole);
          const wholeFixes = fixesFor(full, whole, flow);
          // The whole host read: nothing taken as Docker makes it.
          for (const f of wholeFixes) expect(f.alsoOpensNotRead).toEqual([]);
          // The same fixes, what each opens and the order, besides the pairs walked through a bystander not entered.
          expect(fixes.map((f) => ({ ...f, alsoOpensNotRead: [] })), `${a} → ${b}`).toEqual(wholeFixes);
          const unread = new Set(snap.notEntered ?? []);
          if (enterAll) expect(unread.size).toBe(0);
          for (const f of fixes) {
            // Exactly the pairs with a container not entered, each naming it (and the pair's own are always read).
            const through = f.alsoOpens.filter((p) => p.split(' → ').some((n) => unread.has(n)));
            expect(f.alsoOpensNotRead.map((e) => e.pair), `${f.id} ${a} → ${b}`).toEqual(through);
            for (const e of f.alsoOpensNotRead) expect(e.notRead).toEqual(e.pair.split(' → ').filter((n) => unread.has(n)));
            expect(unread.has(a) || unread.has(b)).toBe(false);
            assumed += f.alsoOpensNotRead.length;
          }
        }
      }
    }
    // The comparison ran, on collections smaller than the host, and with pairs through namespaces not entered.
    expect(stayed).toBeGreaterThan(56);
    expect(smaller).toBeGreaterThan(40);
    expect(assumed).toBeGreaterThan(0);
    // 56 pairs, each collected from the recording and its fixes predicted twice: seconds on a loaded 2-core machine.
  }, 60_000);

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
