// Lab: name resolution through Docker's embedded DNS (127.0.0.11) as netdiag models it, against a real lookup inside
// each container (`busybox nslookup NAME 127.0.0.11`), on user networks, the default bridge, a --dns override and the
// resolver NAT written as Docker 29's `ip docker-dns`. The lab host has no default route: whatever dockerd forwards
// upstream (names it does not know) cannot leave it, so the lookups send nothing outside the lab's namespaces.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapLimit } from '../../collectors/collector.js';
import { Lab, labUnavailable } from './lab.js';
import type { LabHost } from './lab.js';
import { dnsScenario } from './scenarios.js';
import { snapshotOf } from './agreement.js';
import { buildWorld } from '../../rules/model/build.js';
import { why } from '../../rules/why/why.js';
import { runCommand } from '../../host/exec.js';
import { WhyResult } from '../../snapshot/contract.js';

const skip = labUnavailable();
if (skip) console.warn(`SKIPPED lab tests: ${skip}`);
const ping = { proto: 'icmp' as const, port: null };
const CONTAINERS = ['a1', 'a2', 'ab', 'b1', 'c0', 'c1', 'dnsx', 'n1'];
// Names as people type them: container names and a network alias.
const NAMES = ['a1', 'a2', 'cache', 'ab', 'b1', 'c0', 'c1', 'n1'];

/**
 * A real lookup through 127.0.0.11 inside `container`: the IPv4 addresses it gives (empty when it fails), and whether a
 * DNS server answered at all (an answer, or "can't find": NXDOMAIN, SERVFAIL) rather than none being reached.
 */
async function lookup(h: LabHost, container: string, name: string): Promise<{ addresses: string[]; answered: boolean; output: string }> {
  const r = await runCommand('docker', ['exec', container, 'nslookup', name, '127.0.0.11'], { timeoutMs: 30_000, env: { ...process.env, ...h.env } });
  const output = `${r.stdout}${r.stderr}`;
  const answered = /^Name:/m.test(r.stdout) || /can't find/.test(output);
  if (r.exitCode !== 0) return { addresses: [], answered, output };
  // busybox prints the server first ("Server: 127.0.0.11", "Address: 127.0.0.11:53"), then each answer after "Name:".
  const at = r.stdout.search(/^Name:/m);
  const addresses = at < 0 ? [] : [...r.stdout.slice(at).matchAll(/^Address:\s*(\d+\.\d+\.\d+\.\d+)\s*$/gm)].map((m) => m[1]!).sort();
  return { addresses, answered, output };
}

describe.skipIf(skip !== null)('name resolution through 127.0.0.11 agrees with real lookups', () => {
  let lab: Lab;
  let h: LabHost;
  beforeAll(async () => {
    lab = await Lab.create();
    h = await dnsScenario(lab);
    // The guard behind every lookup below: nothing dockerd forwards can leave this host.
    expect((await h.mustExec('ip', ['route', 'show', 'default'])).trim()).toBe('');
  });
  afterAll(async () => {
    await lab?.teardown();
  });

  it('every container asking every name: resolves or not, and to which address', async () => {
    const world = buildWorld([await snapshotOf(h)]);
    const pairs = CONTAINERS.flatMap((from) => NAMES.filter((n) => n !== from).map((name) => ({ from, name })));
    const rows = await mapLimit(pairs, 8, async ({ from, name }) => {
      const real = (await lookup(h, from, name)).addresses;
      const model = why(world, from, name, ping).dns;
      const said = model.resolves ? model.addresses.slice().sort() : [];
      return { from, name, real, said, model };
    });
    const disagree = rows.filter((r) => r.real.join(',') !== r.said.join(','));
    const resolved = rows.filter((r) => r.real.length > 0).length;
    console.log(`dns agreement: ${rows.length - disagree.length}/${rows.length} (${resolved} resolved for real)`);
    expect(disagree.map((r) => `${r.from} → ${r.name}: real [${r.real}] model [${r.said}] (${r.model.note})`)).toEqual([]);
    // The scenario has both outcomes on user networks, and the default bridge resolves nothing.
    expect(resolved).toBeGreaterThan(10);
    expect(rows.filter((r) => r.from === 'c0' || r.from === 'c1').every((r) => r.real.length === 0)).toBe(true);
    // The nftables resolver (n1) resolves as the iptables one does.
    expect(rows.find((r) => r.from === 'n1' && r.name === 'a1')!.real).toHaveLength(1);
  });

  it('`why C 127.0.0.11 --port 53/udp` (the CLI, live) is reachable exactly where a DNS server answers there for real', async () => {
    const rows = await mapLimit(CONTAINERS, 4, async (c) => {
      // Its own name: one Docker's resolver answers itself (a name it forwards gets no answer here: nothing upstream).
      const [real, cli] = await Promise.all([lookup(h, c, c), h.netdiag(['why', c, '127.0.0.11', '--port', '53/udp', '--json'])]);
      const answer = WhyResult.parse(JSON.parse(cli.stdout));
      return { c, real, verdict: answer.verdict, resolver: answer.dns.resolver };
    });
    for (const r of rows) expect(`${r.c}: ${r.verdict}`, r.real.output).toBe(`${r.c}: ${r.real.answered ? 'reachable' : 'blocked'}`);
    for (const r of rows.filter((x) => x.real.answered)) expect(r.resolver?.socket).toMatch(/^127\.0\.0\.11:\d+$/);
    // Both outcomes are in the scenario: the default bridge has no resolver to answer.
    expect(rows.filter((r) => !r.real.answered).map((r) => r.c)).toEqual(['c0', 'c1']);
    console.log(`why C 127.0.0.11 --port 53/udp: ${rows.map((r) => `${r.c} ${r.verdict} (real: ${r.real.answered ? 'answered' : r.real.output.trim().split('\n').at(-1)})`).join(', ')}`);
  });

  it('`why A B` at a terminal (scoped collection) shows the way to the resolver', async () => {
    const r = await h.netdiag(['why', 'a1', 'cache']);
    expect(r.stdout).toMatch(/name: cache resolves from a1 through Docker's embedded DNS on net-a/);
    expect(r.stdout).toMatch(/resolver: a1's namespace sends 127\.0\.0\.11:53\/udp to dockerd's resolver at 127\.0\.0\.11:\d+ \(nat DOCKER_OUTPUT rule \d\)/);
  });
});
