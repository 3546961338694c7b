// Every step netdiag can take, done and undone on a recording host built from the captured seed host's state:
// done twice changes nothing, and the journaled inverse (or the one derived after a crash) restores the state exactly.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyChange, rollbackChange } from '../../../actuation/apply.js';
import { Journal } from '../../../actuation/journal.js';
import { doStep, inverseOf, StepError, undoStep } from '../../../actuation/steps.js';
import { fixesFor } from '../../../rules/changes/fixes.js';
import { tokenize } from '../../../rules/iptables/tokenize.js';
import { buildWorld } from '../../../rules/model/build.js';
import { why } from '../../../rules/why/why.js';
import type { PlanStep } from '../../../snapshot/contract.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import type { HostSnapshot } from '../../../snapshot/host-snapshot.js';
import { CAPTURED, REPO } from '../fixtures.js';
import { parseNftJson } from '../../../collectors/nft-json.js';
import { recordingHost } from '../recording-host.js';
import type { HostState } from '../recording-host.js';

const seed = parseSnapshot(JSON.parse(readFileSync(join(REPO, 'examples/seed-host.json'), 'utf8')));
const OPS = parseNftJson(readFileSync(join(CAPTURED, 'nft/ops-beside-iptables-nft.nft.json'), 'utf8'));
const opsRule = OPS.rules.find((r) => r.table === 'ops' && r.chain === 'forward_ops' && r.comment === 'ops block')!;

/** The seed host's state as the recording host keeps it: its rules, sysctls, routes and attachments as collected. */
function stateOf(s: HostSnapshot): HostState {
  const iptables: HostState['iptables'] = {};
  for (const t of s.firewall?.tables ?? []) iptables[t.name] = Object.fromEntries(t.chains.map((c) => [c.name, c.rules.map((r) => tokenize(r.text).slice(2))]));
  return {
    iptables,
    sysctls: { ...(s.sysctls?.values ?? {}) },
    routes: (s.routes?.routes ?? []).filter((r) => r.table === 'main' && r.gateway).map((r) => `${r.dst} via ${r.gateway}`),
    attached: Object.fromEntries((s.docker?.containers ?? []).map((c) => [c.id, c.endpoints.map((e) => e.network)])),
    networks: Object.fromEntries((s.docker?.networks ?? []).map((n) => [n.id, n.name])),
    // An operator's table as captured (test/fixtures/captured/nft), beside the seed host's iptables.
    nft: Object.fromEntries(OPS.chains.map((c) => [`${c.family} ${c.table} ${c.name}`, OPS.rules.filter((r) => r.family === c.family && r.table === c.table && r.chain === c.name).map((r) => ({ handle: r.handle, expr: r.expr, comment: r.comment }))])),
  };
}

const initial = stateOf(seed);
const world = buildWorld([seed]);
const ping = { proto: 'icmp' as const, port: null };
const fixSteps = fixesFor(world, why(world, 'alpine-01', 'redis-1', ping), ping).flatMap((f) => f.steps);
const redis1 = seed.docker!.containers.find((c) => c.name === 'redis-1')!;
const netRedis = seed.docker!.networks.find((n) => n.name === 'net-redis')!;

const steps: [string, PlanStep][] = [
  ...fixSteps.map((s): [string, PlanStep] => [`a fix's ${s.kind} (${s.kind === 'iptables-insert' || s.kind === 'iptables-delete' ? s.chain : s.kind === 'docker-network-connect' ? s.network : ''})`, s]),
  ['turning forwarding off', { kind: 'sysctl', host: 'lab-h1', key: 'net.ipv4.ip_forward', value: '0' }],
  ['a route to a peer host', { kind: 'ip-route-add', host: 'lab-h1', dst: '172.30.0.0/16', via: '10.99.0.2', dev: 'eth0' }],
  ['deleting Docker\'s second FORWARD rule (restored at its position)', { kind: 'iptables-delete', host: 'lab-h1', table: 'filter', chain: 'FORWARD', rule: tokenize(seed.firewall!.tables.find((t) => t.name === 'filter')!.chains.find((c) => c.name === 'FORWARD')!.rules[1]!.text).slice(2), position: 2 }],
  ['removing an operator\'s nftables rule (restored where it was)', { kind: 'nft-delete', host: 'lab-h1', family: 'inet', table: 'ops', chain: 'forward_ops', handle: opsRule.handle, index: 0, rule: { expr: opsRule.expr, comment: opsRule.comment } }],
  ['a rule in netdiag\'s own nftables table, created with its chain', { kind: 'nft-insert', host: 'lab-h1', family: 'inet', table: 'netdiag', chain: 'mark-forward', index: null, create: { type: 'filter', hook: 'forward', prio: -1, policy: 'accept' }, rule: { expr: [{ mangle: { key: { meta: { key: 'mark' } }, value: 1 } }], comment: 'netdiag:fx-00000009' } }],
  ['disconnecting redis-1 from net-redis', { kind: 'docker-network-disconnect', host: 'lab-h1', network: netRedis.name, networkId: netRedis.id, container: redis1.id, containerName: 'redis-1' }],
];

/** The host's state as it matters: nftables rule handles are the kernel's to hand out again, not part of the state. */
const comparable = (st: HostState) => ({ ...st, nft: Object.fromEntries(Object.entries(st.nft).map(([k, rs]) => [k, rs.map(({ expr, comment }) => ({ expr, comment }))])) });

describe.each(steps)('%s', (_name, step) => {
  it('changes the host, changes nothing the second time, and its journaled inverse restores the host exactly', async () => {
    const h = recordingHost(initial);
    const first = await doStep(h, step);
    expect(first.changed).toBe(true);
    expect(comparable(h.state)).not.toEqual(comparable(initial));
    const again = await doStep(h, step);
    expect(again.changed).toBe(false);
    await undoStep(h, step, first.undo);
    expect(comparable(h.state)).toEqual(comparable(initial));
    // Undoing twice is not an error and changes nothing.
    expect((await undoStep(h, step, first.undo)).changed).toBe(false);
    expect(comparable(h.state)).toEqual(comparable(initial));
  });

  it('after a crash before "done" was journaled, the inverse derived from the step alone restores it too', async () => {
    const h = recordingHost(initial);
    await doStep(h, step);
    const r = await undoStep(h, step, null);
    if (step.kind === 'sysctl') {
      // The old value was never recorded: nothing is safe to write, and netdiag writes nothing.
      expect(r.changed).toBe(false);
      expect(inverseOf(step)).toBeNull();
    } else {
      expect(comparable(h.state)).toEqual(comparable(initial));
    }
  });
});

describe('applyChange and rollbackChange on the recording host', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'netdiag-steps-'));
  const ok = async () => ({ ok: true, detail: 'verified' });

  it('a change that fails at its third step is undone in reverse, and the host is as before', async () => {
    const h = recordingHost(initial);
    const bad: PlanStep = { kind: 'iptables-insert', host: 'lab-h1', table: 'filter', chain: 'NO-SUCH-CHAIN', rule: ['-j', 'ACCEPT'] };
    const r = await applyChange({ kind: 'fix', id: 'fx-00000001', title: 't', steps: [fixSteps[0]!, fixSteps[1]!, bad], context: {} }, { stateDir: dir(), host: h, verify: ok, progress: () => undefined });
    expect(r.status).toBe('rolled-back');
    expect(r.error?.message).toMatch(/NO-SUCH-CHAIN does not exist/);
    expect(comparable(h.state)).toEqual(comparable(initial));
  });

  it('a change whose verification fails is undone', async () => {
    const h = recordingHost(initial);
    const r = await applyChange({ kind: 'fix', id: 'fx-00000002', title: 't', steps: fixSteps.slice(0, 2), context: {} }, { stateDir: dir(), host: h, verify: async () => ({ ok: false, detail: 'probe: blocked' }), progress: () => undefined });
    expect(r).toMatchObject({ status: 'rolled-back', verified: false, verification: 'probe: blocked' });
    expect(comparable(h.state)).toEqual(comparable(initial));
  });

  it('an applied change is rolled back from its journal, once', async () => {
    const h = recordingHost(initial);
    const stateDir = dir();
    const applied = await applyChange({ kind: 'plan', id: 'pl-00000003', title: 't', steps: steps.map(([, s]) => s).filter((s) => s.kind !== 'docker-network-connect'), context: {} }, { stateDir, host: h, verify: ok, progress: () => undefined });
    expect(applied.status).toBe('applied');
    expect(comparable(h.state)).not.toEqual(comparable(initial));
    expect((await rollbackChange('pl-00000003', { stateDir, host: h, progress: () => undefined }))?.status).toBe('rolled-back');
    expect(comparable(h.state)).toEqual(comparable(initial));
    expect((await rollbackChange('pl-00000003', { stateDir, host: h, progress: () => undefined }))?.status).toBe('already-rolled-back');
  });

  it('applied twice under one ID (the second finds it done), one rollback still takes the change out', async () => {
    const h = recordingHost(initial);
    const stateDir = dir();
    const req = { kind: 'fix' as const, id: 'fx-0000000a', title: 't', steps: fixSteps.slice(0, 2), context: {} };
    expect((await applyChange(req, { stateDir, host: h, verify: ok, progress: () => undefined })).status).toBe('applied');
    expect((await applyChange(req, { stateDir, host: h, verify: ok, progress: () => undefined })).status).toBe('already-applied');
    await rollbackChange('fx-0000000a', { stateDir, host: h, progress: () => undefined });
    expect(comparable(h.state)).toEqual(comparable(initial));
  });

  it('killed between two steps: rollback finishes the job from the journal', async () => {
    const h = recordingHost(initial);
    const stateDir = dir();
    const j = await Journal.open(stateDir, 'fx-00000004');
    const two = fixSteps.slice(0, 2);
    await j.append({ event: 'start', kind: 'fix', id: 'fx-00000004', title: 't', steps: two, context: {} });
    await j.append({ event: 'step-begin', index: 0 });
    const r0 = await doStep(h, two[0]!);
    await j.append({ event: 'step-done', index: 0, changed: r0.changed, undo: { step: r0.undo } });
    await j.append({ event: 'step-begin', index: 1 });
    await doStep(h, two[1]!);
    // ... and the process dies here, before step-done.
    expect((await rollbackChange('fx-00000004', { stateDir, host: h, progress: () => undefined }))?.undone).toHaveLength(2);
    expect(comparable(h.state)).toEqual(comparable(initial));
  });

  it('a lock held by another program is a StepError with what to do, and nothing changes', async () => {
    const h = recordingHost(initial);
    h.iptables = async () => {
      const { CommandError } = await import('../../../host/exec.js');
      throw new CommandError('iptables is locked by another program (/run/xtables.lock held for more than 5 s)', 'wait for the other program to finish, then run the same command again', 'timeout');
    };
    await expect(doStep(h, fixSteps.find((s) => s.kind === 'iptables-insert')!)).rejects.toBeInstanceOf(StepError);
    expect(comparable(h.state)).toEqual(comparable(initial));
  });
});
