// What netdiag has applied on this host, from the journals: counts, and drift (a journaled rule or route now gone).
import type { HostSnapshot } from '../snapshot/host-snapshot.js';
import { Journal, journalState } from './journal.js';
import type { PlanStep } from '../snapshot/contract.js';
import { snapshotMeanings } from '../rules/meaning/host.js';
import type { HostMeanings } from '../rules/meaning/host.js';
import { netdiagIdOf } from '../rules/meaning/layouts.js';

interface Applied {
  id: string;
  kind: 'fix' | 'plan';
  steps: PlanStep[];
}

export class ChangeLedger {
  private applied: Applied[] = [];
  /** How many times the journals were read: what was said of the applied changes is stale when it moved. */
  generation = 0;

  constructor(private readonly stateDir: string) {}

  /** Re-read the journals (on start, and after each change the agent makes). */
  async load(): Promise<{ interrupted: string[] }> {
    const interrupted: string[] = [];
    const applied: Applied[] = [];
    for (const id of await Journal.list(this.stateDir)) {
      const j = await Journal.existing(this.stateDir, id);
      if (!j) continue;
      const st = journalState(await j.events());
      if (!st.start) continue;
      if (st.status === 'applied') applied.push({ id, kind: st.start.kind, steps: st.start.steps });
      else if (st.status === 'applying' || (st.status === 'failed' && st.pending.length > 0)) interrupted.push(id);
    }
    this.applied = applied;
    this.generation++;
    return { interrupted };
  }

  /** `meanings`: the snapshot's rule meanings when the caller has modelled it already (read here otherwise). */
  summary(s: HostSnapshot | null, meanings?: HostMeanings): { applied: { fix: number; plan: number }; drifted: { fix: number; plan: number }; missingRoutes: number } {
    const out = { applied: { fix: 0, plan: 0 }, drifted: { fix: 0, plan: 0 }, missingRoutes: 0 };
    for (const a of this.applied) {
      out.applied[a.kind]++;
      if (!s) continue;
      let drift = false;
      for (const step of missingSteps(a.steps, s, meanings)) {
        drift = true;
        if (step.kind === 'ip-route-add') out.missingRoutes++;
      }
      if (drift) out.drifted[a.kind]++;
    }
    return out;
  }
}

/** Each snapshot's rule meanings, read once however many journaled steps ask. */
const meanings = new WeakMap<HostSnapshot, HostMeanings>();

function meaningsOf(s: HostSnapshot): HostMeanings {
  let m = meanings.get(s);
  if (!m) meanings.set(s, (m = snapshotMeanings(s)));
  return m;
}

/** Is a step's effect visible in the snapshot? (Only what the snapshot can show: rules, routes, sysctls.) */
export function present(step: PlanStep, s: HostSnapshot, meanings?: HostMeanings): boolean {
  switch (step.kind) {
    case 'iptables-insert': {
      const set = step.ip6tables ? s.firewall?.tables6 : s.firewall?.tables;
      if (!set?.find((t) => t.name === step.table)?.chains.some((c) => c.name === step.chain)) return false;
      // netdiag's rules carry `--comment netdiag:<id>`: the rule is in place when a rule of that chain means that ID.
      const at = step.rule.indexOf('--comment');
      const id = netdiagIdOf(at >= 0 ? step.rule[at + 1] : null);
      if (id === null) return true;
      const ruleset = step.ip6tables ? 'ip6tables' : 'iptables';
      return (meanings ?? meaningsOf(s)).netdiagRules.some((r) => r.id === id && r.ruleset === ruleset && r.table === step.table && r.chain === step.chain);
    }
    case 'ip-route-add':
      return (s.routes?.routes ?? []).some((r) => r.dst === step.dst && r.gateway === step.via);
    case 'sysctl':
      return s.sysctls?.values[step.key] === step.value;
    case 'ip-link-add':
      return (s.links?.interfaces ?? []).some((i) => i.name === step.name && i.kind === step.type && i.lower?.name === step.parent);
    case 'ip-link-route-add':
      return (s.routes?.routes ?? []).some((r) => r.table === 'main' && r.dst === step.dst && r.dev === step.dev);
    default:
      return true;
  }
}

/**
 * The steps whose effect the snapshot does not show, as `present` says, with the snapshot's routes and netdiag rules
 * indexed once: a plan gives one host tens of thousands of steps, and a scan each is quadratic.
 */
export function missingSteps(steps: readonly PlanStep[], s: HostSnapshot, meanings?: HostMeanings): PlanStep[] {
  let routes: Set<string> | null = null;
  let rules: Set<string> | null = null;
  let chains: Set<string> | null = null;
  return steps.filter((step) => {
    if (step.kind === 'ip-route-add') {
      routes ??= new Set((s.routes?.routes ?? []).map((r) => `${r.dst} ${r.gateway}`));
      return !routes.has(`${step.dst} ${step.via}`);
    }
    if (step.kind === 'iptables-insert') {
      const ruleset = step.ip6tables ? 'ip6tables' : 'iptables';
      chains ??= new Set([...(s.firewall?.tables ?? []).flatMap((t) => t.chains.map((c) => `iptables ${t.name} ${c.name}`)), ...(s.firewall?.tables6 ?? []).flatMap((t) => t.chains.map((c) => `ip6tables ${t.name} ${c.name}`))]);
      if (!chains.has(`${ruleset} ${step.table} ${step.chain}`)) return true;
      const at = step.rule.indexOf('--comment');
      const id = netdiagIdOf(at >= 0 ? step.rule[at + 1] : null);
      if (id === null) return false;
      rules ??= new Set((meanings ?? meaningsOf(s)).netdiagRules.map((r) => `${r.id} ${r.ruleset} ${r.table} ${r.chain}`));
      return !rules.has(`${id} ${ruleset} ${step.table} ${step.chain}`);
    }
    return !present(step, s, meanings);
  });
}
