// Applying a plan's many steps in few programs: ip -batch's and iptables-restore's reports as captured from real runs
// (test/fixtures/captured/batch, capture.sh), steps cut into runs, the journal knowing exactly which steps went in, a
// half-applied batch rolled back, and the agent's limits sized to the plan's own maximum.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { syntheticHost } from '../../../bench/synthetic.js';
import { applyChange, rollbackChange } from '../../../actuation/apply.js';
import { BATCH_MIN, routeArgs, ruleKey, runsOf } from '../../../actuation/batch.js';
import { Journal, journalState } from '../../../actuation/journal.js';
import { PlanApplyBody } from '../../../agent/schemas.js';
import { liveMutator, parseBatchErrors } from '../../../host/mutate.js';
import { planRoutes } from '../../../rules/plan/plan-routes.js';
import { expandPlan } from '../../../rules/plan/shared-plan.js';
import { tokenize } from '../../../rules/iptables/tokenize.js';
import { PLAN_HOST_STEPS_MAX } from '../../../snapshot/contract.js';
import type { PlanStep } from '../../../snapshot/contract.js';
import { CAPTURED } from '../fixtures.js';
import { recordingHost } from '../recording-host.js';
import type { HostState } from '../recording-host.js';

const BATCH = join(CAPTURED, 'batch');
const read = (f: string) => readFileSync(join(BATCH, f), 'utf8');

/** Host h0's steps of a plan for `n` synthetic hosts on one LAN, as `netdiag apply` sends them to its agent. */
function planSteps(n: number): PlanStep[] {
  const hosts = Array.from({ length: n }, (_, i) => syntheticHost(2, 2, `h${i}`, { lan: `10.99.${Math.floor(i / 200)}.${(i % 200) + 1}`, firstSubnet: i * 2 }));
  const plan = expandPlan(planRoutes(hosts, new Map(), { shape: 'shared' }));
  return plan.hosts[0]!.steps;
}

const empty = (): HostState => ({ iptables: { filter: { 'DOCKER-USER': [] }, raw: { PREROUTING: [] } }, sysctls: { 'net.ipv4.ip_forward': '1' }, routes: [], attached: {}, networks: {}, nft: {} });
const ok = async () => ({ ok: true, detail: 'ok' });
const quiet = () => undefined;

describe("ip -force -batch's report, as ip 6.1 printed it", () => {
  it('names each failed line (1-based in the report, 0-based here) with the words printed before it', () => {
    const failed = parseBatchErrors(read('ip-force.stderr'));
    expect([...failed.entries()]).toEqual([
      [1, 'RTNETLINK answers: File exists'],
      [2, 'Error: Nexthop has invalid gateway.'],
      [3, 'Cannot find device "nosuch"'],
      [5, 'RTNETLINK answers: No such process'],
    ]);
    // The lines not named went in, as the namespace's routes afterwards say (-force tried every line).
    const routes = read('ip-force.routes').split('\n').filter((l) => / via /.test(l)).map((l) => l.split(' ')[0]);
    const lines = read('ip-force.in').trim().split('\n');
    expect(lines.filter((l, i) => !failed.has(i) && l.startsWith('route add')).map((l) => l.split(' ')[2])).toEqual(routes);
  });

  it('liveMutator sends one line a step on stdin and reads the captured report back', async () => {
    const sent: { file: string; args: readonly string[]; input?: string }[] = [];
    const m = liveMutator({ exec: async (file, args, o) => (sent.push({ file, args, input: o?.input }), { stdout: read('ip-force.stdout'), stderr: read('ip-force.stderr'), exitCode: Number(read('ip-force.rc')) }) });
    const lines = read('ip-force.in').trim().split('\n').map((l) => l.split(' '));
    const r = await m.ipBatch!(lines);
    expect(sent).toEqual([{ file: 'ip', args: ['-force', '-batch', '-'], input: read('ip-force.in') }]);
    expect([...r.failed.keys()]).toEqual([1, 2, 3, 5]);
    // A word ip would read as two, or as a comment, is never put on a line.
    await expect(m.ipBatch!([['route', 'add', '10.0.0.0/24', 'via', '10.0.0.1', 'dev', 'eth0 #x']])).rejects.toThrow(/read differently/);
  });

  it('a route step reads the same as the line the captured run was given', () => {
    expect(routeArgs({ kind: 'ip-route-add', host: 'h', dst: '10.0.0.0/24', via: '10.50.0.2', dev: 'd0' }).join(' ')).toBe(read('ip-force.in').split('\n')[0]);
  });
});

describe("iptables -S and iptables-restore, as iptables 1.8.9 printed them", () => {
  it('a rule as a step writes it and as -S lists it (addresses with /32, the comment quoted) are the same rule', () => {
    const sent = read('restore-good.in').split('\n').filter((l) => l.startsWith('-I ')).map((l) => ruleKey(l.split(' ').slice(2)));
    const listed = read('list.stdout').split('\n').filter((l) => l.startsWith('-A ')).map((l) => ruleKey(tokenize(l).slice(2)));
    expect(sent.every((k) => k !== null)).toBe(true);
    expect(new Set(listed)).toEqual(new Set(sent));
    // Another rule is another key; a rule with options -S may print otherwise is not compared at all.
    expect(ruleKey(['-s', '10.50.0.9', '-j', 'ACCEPT'])).not.toBe(listed[0]);
    expect(ruleKey(['-p', 'tcp', '--dport', '80', '-j', 'ACCEPT'])).toBeNull();
    expect(ruleKey(['!', '-s', '10.0.0.1', '-j', 'DROP'])).toBeNull();
  });

  it('a failed restore names its line: the recording host reports as the captured run did, and nothing of it stays', async () => {
    expect(read('restore-bad.stderr').trim()).toBe('iptables-restore: line 4 failed: No chain/target/match by that name.');
    const h = recordingHost(empty(), { batches: true });
    const lines = read('restore-bad.in').split('\n').filter((l) => l.startsWith('-I ')).map((l) => l.split(' '));
    const r = await h.iptablesRestore!('filter', lines);
    expect(r).toEqual({ ok: false, stderr: `${read('restore-bad.stderr').trim()}` });
    expect(h.state.iptables.filter!['DOCKER-USER']).toEqual([]);
  });
});

describe('a plan host\'s steps cut into runs', () => {
  const steps = planSteps(40);

  it('routes in one run, accepts of each table in one run; a fix\'s few steps one by one; hosts without batches step by step', () => {
    const h = recordingHost(empty(), { batches: true });
    const runs = runsOf(h, steps);
    expect(runs.map((r) => [r.how, r.to - r.from])).toEqual([
      ['ip', 39 * 2],
      ['restore', 39 * 2],
    ]);
    expect(runsOf(h, steps.slice(0, BATCH_MIN - 1)).every((r) => r.how === null)).toBe(true);
    expect(runsOf(recordingHost(empty()), steps).every((r) => r.how === null)).toBe(true);
  });

  it('applied in two programs where it took two a step, journaled step by step; again: already applied; rolled back exactly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netdiag-batch-'));
    const h = recordingHost(empty(), { batches: true });
    const one = recordingHost(empty());
    const req = { kind: 'plan' as const, id: 'pl-0000b001', title: 't', steps, context: {} };
    const r = await applyChange(req, { stateDir: dir, host: h, verify: ok, progress: quiet });
    await applyChange({ ...req, id: 'pl-0000b002' }, { stateDir: mkdtempSync(join(tmpdir(), 'netdiag-batch-')), host: one, verify: ok, progress: quiet });
    expect(r.status).toBe('applied');
    expect(h.calls).toEqual(['ip -force -batch (78 lines)', 'iptables -t filter -S DOCKER-USER', 'iptables-restore --noflush -t filter (78 lines)']);
    expect(one.calls.length).toBe(78 + 2 * 78);
    // The same host state as one step at a time.
    expect(h.state).toEqual(one.state);
    const events = await (await Journal.existing(dir, req.id))!.events();
    expect(events.filter((e) => e.event === 'step-done').map((e) => (e as { index: number }).index)).toEqual(steps.map((_, i) => i));
    const again = await applyChange({ ...req }, { stateDir: mkdtempSync(join(tmpdir(), 'netdiag-batch-')), host: h, verify: ok, progress: quiet });
    expect(again.status).toBe('already-applied');
    expect(h.state.iptables.filter!['DOCKER-USER']!.length).toBe(78);
    const back = await rollbackChange(req.id, { stateDir: dir, host: h, progress: quiet });
    expect(back?.undone.length).toBe(steps.length);
    expect(h.state.routes).toEqual([]);
    expect(h.state.iptables.filter!['DOCKER-USER']).toEqual([]);
  });

  it("accepts alternating filter and raw (Docker 28.2+'s direct-access drops) run together, one listing and one restore a chain", async () => {
    const both = steps.flatMap((s) => (s.kind === 'iptables-insert' ? [s, { ...s, table: 'raw', chain: 'PREROUTING' }] : [s]));
    const h = recordingHost(empty(), { batches: true });
    expect(runsOf(h, both).map((r) => [r.how, r.to - r.from])).toEqual([
      ['ip', 78],
      ['restore', 156],
    ]);
    const one = recordingHost(empty());
    await applyChange({ kind: 'plan', id: 'pl-0000b005', title: 't', steps: both, context: {} }, { stateDir: mkdtempSync(join(tmpdir(), 'netdiag-batch-')), host: h, verify: ok, progress: quiet });
    await applyChange({ kind: 'plan', id: 'pl-0000b005', title: 't', steps: both, context: {} }, { stateDir: mkdtempSync(join(tmpdir(), 'netdiag-batch-')), host: one, verify: ok, progress: quiet });
    expect(h.calls).toEqual(['ip -force -batch (78 lines)', 'iptables -t filter -S DOCKER-USER', 'iptables-restore --noflush -t filter (78 lines)', 'iptables -t raw -S PREROUTING', 'iptables-restore --noflush -t raw (78 lines)']);
    expect(h.state).toEqual(one.state);
  });

  it('a route the kernel refuses mid-batch: the lines after it went in (ip -force), and all are undone; the journal owes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netdiag-batch-'));
    const bad = (steps.find((s, i) => i > 10 && s.kind === 'ip-route-add') as Extract<PlanStep, { kind: 'ip-route-add' }>).via;
    const h = recordingHost({ ...empty(), badGateways: [bad] }, { batches: true });
    const r = await applyChange({ kind: 'plan', id: 'pl-0000b003', title: 't', steps, context: {} }, { stateDir: dir, host: h, verify: ok, progress: quiet });
    expect(r.status).toBe('rolled-back');
    expect(r.error?.message).toMatch(/^ip route add \S+ failed: Error: Nexthop has invalid gateway\.$/);
    expect(h.state.routes).toEqual([]);
    expect(h.state.iptables.filter!['DOCKER-USER']).toEqual([]);
    const st = journalState(await (await Journal.existing(dir, 'pl-0000b003'))!.events());
    expect(st.status).toBe('rolled-back');
    expect(st.pending).toEqual([]);
  });

  it('a restore refused (its chain gone): none of its rules went in, the routes before it are undone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netdiag-batch-'));
    const h = recordingHost({ ...empty(), iptables: { filter: {} } }, { batches: true });
    const r = await applyChange({ kind: 'plan', id: 'pl-0000b004', title: 't', steps, context: {} }, { stateDir: dir, host: h, verify: ok, progress: quiet });
    expect(r.status).toBe('rolled-back');
    expect(r.error?.message).toMatch(/chain DOCKER-USER does not exist/);
    expect(h.state.routes).toEqual([]);
  });
});

describe("the agent's apply body, sized to the plan", () => {
  it('takes as many steps as a plan gives one host, and refuses one more', () => {
    const step = planSteps(3)[0]!;
    const many = Array.from({ length: PLAN_HOST_STEPS_MAX }, () => step);
    expect(PlanApplyBody.safeParse({ id: 'pl-00000001', steps: many }).success).toBe(true);
    expect(PlanApplyBody.safeParse({ id: 'pl-00000001', steps: [...many, step] }).success).toBe(false);
  });

  it("the plan's maximum holds a 5,000-host plan's host (two subnets each, accepts in two tables)", () => {
    const perHost = 4999 * 2 + 2 * 4999 * 2 + 1;
    expect(perHost).toBeLessThanOrEqual(PLAN_HOST_STEPS_MAX);
  });
});
