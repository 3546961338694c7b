// deploy/: the Grafana dashboard and the alert rules query only series the agent really exports.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ChangeLedger } from '../../actuation/ledger.js';
import { createMetrics } from '../../agent/metrics.js';
import { SnapshotStore } from '../../agent/snapshot-store.js';
import { parseSnapshot } from '../../snapshot/host-snapshot.js';
import { REPO } from './fixtures.js';

const seed = parseSnapshot(JSON.parse(readFileSync(join(REPO, 'examples/seed-host.json'), 'utf8')));

async function exported(): Promise<Set<string>> {
  const m = createMetrics(SnapshotStore.fixed(seed), new ChangeLedger('/nonexistent'));
  m.observeRefresh(seed);
  const names = new Set<string>(['up']);
  for (const metric of await m.registry.getMetricsAsJSON()) {
    names.add(metric.name);
    if (metric.type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(`${metric.name}${s}`);
  }
  return names;
}

const metricNames = (expr: string) => [...expr.matchAll(/\b((?:netdiag|process)_[a-z_]+|up)\b/g)].map((m) => m[1] as string);

describe('deploy/', () => {
  it('the Grafana dashboard is valid JSON whose every query names exported series', async () => {
    const names = await exported();
    const dash = JSON.parse(readFileSync(join(REPO, 'deploy/grafana/netdiag-dashboard.json'), 'utf8'));
    const exprs: string[] = dash.panels.flatMap((p: { targets: { expr: string }[] }) => p.targets.map((t) => t.expr));
    expect(exprs.length).toBeGreaterThan(10);
    for (const e of exprs) for (const n of metricNames(e)) expect(names, `${n} in ${e}`).toContain(n);
  });

  it('every alert names exported series', async () => {
    const names = await exported();
    const rules = parse(readFileSync(join(REPO, 'deploy/prometheus/netdiag-alerts.yml'), 'utf8'));
    const exprs: string[] = rules.groups.flatMap((g: { rules: { expr: string }[] }) => g.rules.map((r) => r.expr));
    expect(exprs).toHaveLength(6);
    for (const e of exprs) for (const n of metricNames(e)) expect(names, `${n} in ${e}`).toContain(n);
  });
});
