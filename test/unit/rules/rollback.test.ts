// Issue 26: every fix says how it is undone before it is applied — the steps' inverses as commands, last step first —
// and those inverses, applied to the predicted snapshot, give back the answer before the fix (the seed host).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applySteps } from '../../../rules/changes/predict.js';
import { fixesFor } from '../../../rules/changes/fixes.js';
import { parseFlow } from '../../../rules/query/flow.js';
import { buildWorld } from '../../../rules/model/build.js';
import { why } from '../../../rules/why/why.js';
import { inverseOf, rollbackCommands } from '../../../rules/steps/inverse.js';
import { stepCommand } from '../../../rules/steps/command.js';
import type { PlanStep } from '../../../snapshot/contract.js';
import { parseSnapshot } from '../../../snapshot/host-snapshot.js';
import { REPO } from '../fixtures.js';

const seed = parseSnapshot(JSON.parse(readFileSync(join(REPO, 'examples/seed-host.json'), 'utf8')));

describe('Fix.rollback', () => {
  const world = buildWorld([seed]);
  const flow = parseFlow(undefined);
  const fixes = fixesFor(world, why(world, 'alpine-01', 'redis-1', flow), flow);

  it('each of the seed\'s fixes for alpine-01 → redis-1: the inverses as commands, last step first; undoing them restores blocked', () => {
    expect(fixes.length).toBeGreaterThan(1);
    for (const f of fixes) {
      const inverses = [...f.steps].reverse().map((s) => inverseOf(s) as PlanStep);
      expect(f.rollback, f.id).toEqual(inverses.map(stepCommand));
      const after = applySteps([seed], f.steps);
      expect(why(buildWorld(after), 'alpine-01', 'redis-1', flow).verdict, f.id).toBe('reachable');
      expect(why(buildWorld(applySteps(after, inverses)), 'alpine-01', 'redis-1', flow).verdict, f.id).toBe('blocked');
    }
  });

  it('a sysctl goes back to the value the snapshot holds; unknown, it says so instead of guessing', () => {
    const step: PlanStep = { kind: 'sysctl', host: seed.name, key: 'net.ipv4.ip_forward', value: '1' };
    const held = seed.sysctls?.values['net.ipv4.ip_forward'] ?? null;
    expect(held).not.toBeNull();
    expect(rollbackCommands([step], () => held)).toEqual([`sysctl -w net.ipv4.ip_forward=${held}`]);
    expect(rollbackCommands([step], () => null)).toEqual(['sysctl -w net.ipv4.ip_forward=<the value it had before: not in the snapshot>']);
  });

  it('a daemon.json change has no command that undoes it: said as a task for a person', () => {
    expect(rollbackCommands([{ kind: 'docker-daemon-config', host: 'h', key: 'ip-forward-no-drop', value: true }], () => null)).toEqual(['undo by hand: set "ip-forward-no-drop": true in /etc/docker/daemon.json, then systemctl restart docker']);
  });
});
