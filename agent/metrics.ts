// Prometheus metrics: rendered from the store's last snapshot, with bounded labels (network pairs,
// never container pairs); collection timings observed as each refresh happens.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { HostSnapshot } from '../snapshot/host-snapshot.js';
import { COLLECTOR_NAMES } from '../snapshot/host-snapshot.js';
import { NETDIAG_VERSION } from '../host/version.js';
import { droppedByChain } from '../rules/metrics/host-counts.js';
import type { Reach } from '../rules/metrics/host-counts.js';
import { buildHost } from '../rules/model/build.js';
import type { World } from '../rules/model/types.js';
import { inThreadWalker } from './walker.js';
import type { Walker } from './walker.js';
import type { SnapshotStore } from './snapshot-store.js';
import type { ChangeLedger } from '../actuation/ledger.js';

export interface AgentMetrics {
  registry: Registry;
  /** A refresh's durations and errors, and the drop counters of the model built from it (built here when it was not kept). */
  observeRefresh(s: HostSnapshot, world?: World | null): void;
  /** The exposition text: rendered at most once a second and whenever the snapshot changes, shared by every scrape. */
  render(): Promise<string>;
  /**
   * The text as the bytes that go out, when a scrape may take it without waiting for a render (as render() would give
   * it at once; the next render started when it is over a second old); null when a scrape must wait for render().
   */
  ready(): Buffer | null;
  /** A web config load or reload: its gauges appear with the first (an agent without --web-config has none). */
  observeWebConfig(ok: boolean): void;
}

/** How long after a failed reachability walk the next scrape asks for it again. */
export const REACH_RETRY_MS = 10_000;

/** `walker`: where the reachability walk runs (the agent's worker thread); in-thread when absent. */
export function createMetrics(store: SnapshotStore, ledger: ChangeLedger, walker: Walker = inThreadWalker()): AgentMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const safely = (fn: () => void) => {
    // A model bug must not fail the whole scrape (prom-client awaits every collect together): leave the series out.
    try {
      fn();
    } catch {
      /* series omitted this scrape */
    }
  };
  const last = () => store.current?.snapshot ?? null;
  // What the ledger says of the served snapshot, worked out once per snapshot and journal reading (three gauges ask),
  // from the meanings the store's model already holds.
  let changes: { snapshot: HostSnapshot | null; generation: number; value: ReturnType<ChangeLedger['summary']> } | null = null;
  const changeSummary = () => {
    const st = store.current;
    const snapshot = st?.snapshot ?? null;
    if (changes?.snapshot !== snapshot || changes.generation !== ledger.generation) changes = { snapshot, generation: ledger.generation, value: ledger.summary(snapshot, st?.world.hosts[0]?.meanings) };
    return changes.value;
  };

  new Gauge({ name: 'netdiag_build_info', help: 'netdiag version, always 1', labelNames: ['version'], registers, collect() { this.set({ version: NETDIAG_VERSION }, 1); } });
  new Gauge({ name: 'netdiag_snapshot_age_seconds', help: 'Age of the snapshot the agent serves', registers, collect() { const a = store.ageSeconds(); if (a !== null) this.set(a); } });
  new Gauge({ name: 'netdiag_snapshot_stale', help: '1 when the last collection failed and an older snapshot is served', registers, collect() { this.set(store.lastError ? 1 : 0); } });
  const duration = new Histogram({ name: 'netdiag_collector_duration_seconds', help: 'Time each collector took', labelNames: ['collector'], buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers });
  const errors = new Counter({ name: 'netdiag_collector_errors_total', help: 'Collections in which a collector failed or reported a partial result', labelNames: ['collector'], registers });
  for (const c of COLLECTOR_NAMES) errors.inc({ collector: c }, 0);
  new Gauge({
    name: 'netdiag_collector_success',
    help: '1 when the collector read its source fully in the last collection',
    labelNames: ['collector'],
    registers,
    collect() {
      const s = last();
      this.reset();
      if (s) for (const [c, st] of Object.entries(s.collectors)) this.set({ collector: c }, st.status === 'ok' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'netdiag_objects',
    help: 'Docker and kernel objects on the host: containers, networks, bridges, veths',
    labelNames: ['kind'],
    registers,
    collect() {
      const s = last();
      if (!s) return;
      this.set({ kind: 'containers' }, s.docker?.containers.filter((c) => c.state === 'running').length ?? 0);
      this.set({ kind: 'networks' }, s.docker?.networks.length ?? 0);
      this.set({ kind: 'bridges' }, s.links?.interfaces.filter((i) => i.kind === 'bridge').length ?? 0);
      this.set({ kind: 'veths' }, s.links?.interfaces.filter((i) => i.kind === 'veth').length ?? 0);
    },
  });
  // IPv4 and IPv6 forwarding, bridge filtering and FORWARD policies are separate switches: one series per family.
  new Gauge({
    name: 'netdiag_ip_forward',
    help: 'Forwarding on (1) or off (0): net.ipv4.ip_forward, net.ipv6.conf.all.forwarding',
    labelNames: ['family'],
    registers,
    collect() {
      this.reset();
      const v = last()?.sysctls?.values;
      if (v?.['net.ipv4.ip_forward'] != null) this.set({ family: 'ipv4' }, Number(v['net.ipv4.ip_forward']));
      if (v?.['net.ipv6.conf.all.forwarding'] != null) this.set({ family: 'ipv6' }, Number(v['net.ipv6.conf.all.forwarding']));
    },
  });
  new Gauge({
    name: 'netdiag_br_netfilter',
    help: 'bridge-nf-call-iptables / -ip6tables: 1 bridged frames cross iptables (ip6tables), 0 they do not (module loaded or not)',
    labelNames: ['family'],
    registers,
    collect() {
      this.reset();
      const s = last();
      if (!s?.sysctls) return;
      this.set({ family: 'ipv4' }, Number(s.sysctls.values['net.bridge.bridge-nf-call-iptables'] ?? 0));
      this.set({ family: 'ipv6' }, Number(s.sysctls.values['net.bridge.bridge-nf-call-ip6tables'] ?? 0));
    },
  });
  new Gauge({
    name: 'netdiag_forward_policy_drop',
    help: '1 when filter FORWARD\'s policy is DROP (iptables for ipv4, ip6tables for ipv6)',
    labelNames: ['family'],
    registers,
    collect() {
      this.reset();
      const fw = last()?.firewall;
      for (const [family, tables] of [['ipv4', fw?.tables], ['ipv6', fw?.tables6]] as const) {
        const p = tables?.find((t) => t.name === 'filter')?.chains.find((c) => c.name === 'FORWARD')?.policy;
        if (p) this.set({ family }, p === 'DROP' ? 1 : 0);
      }
    },
  });
  // Reachability between networks is a matrix: walked by the walker after each refresh, never inside a scrape. Until the
  // first one is done the series are absent; after that they are the last computed.
  let reachCache: { snapshot: HostSnapshot; data: Reach } | null = null;
  let reachFor: HostSnapshot | null = null;
  // A walk that failed (the thread died, a model bug) is asked again, but not before this: a scrape a second must not
  // restart a failing walk each time, nor may one failure leave the series stale for as long as the snapshot is served.
  let reachRetryAt = 0;
  const reach = () => {
    const st = store.current;
    if (st && reachFor !== st.snapshot && Date.now() >= reachRetryAt) {
      const snapshot = (reachFor = st.snapshot);
      walker.reach(st).then(
        (data) => {
          if (reachFor === snapshot) reachCache = { snapshot, data };
          void rerender().catch(() => undefined);
        },
        () => {
          if (reachFor !== snapshot) return;
          reachFor = null;
          reachRetryAt = Date.now() + REACH_RETRY_MS;
        },
      );
    }
    return reachCache?.data ?? null;
  };
  new Gauge({
    name: 'netdiag_network_pairs_reachable',
    help: 'Container pairs (ping) that reach each other, per source and destination network and address family',
    labelNames: ['from_network', 'to_network', 'family'],
    registers,
    collect() {
      safely(() => {
        this.reset();
        for (const v of reach()?.values() ?? []) this.set({ from_network: v.from, to_network: v.to, family: v.family }, v.reachable);
      });
    },
  });
  new Gauge({
    name: 'netdiag_network_pairs',
    help: 'Container pairs per source and destination network and address family (pairs whose destination has an address of it)',
    labelNames: ['from_network', 'to_network', 'family'],
    registers,
    collect() {
      safely(() => {
        this.reset();
        for (const v of reach()?.values() ?? []) this.set({ from_network: v.from, to_network: v.to, family: v.family }, v.total);
      });
    },
  });
  // iptables counters are cumulative but restart when Docker rewrites a chain: count increases, and a drop as a reset.
  const dropped = new Counter({ name: 'netdiag_dropped_packets_total', help: 'Packets dropped by Docker\'s isolation chains, DOCKER-USER and raw PREROUTING, from iptables (ipv4) and ip6tables (ipv6) counters', labelNames: ['chain', 'family'], registers });
  const droppedBytes = new Counter({ name: 'netdiag_dropped_bytes_total', help: 'Bytes dropped by Docker\'s isolation chains, DOCKER-USER and raw PREROUTING, from iptables (ipv4) and ip6tables (ipv6) counters', labelNames: ['chain', 'family'], registers });
  const seen = new Map<string, { packets: number; bytes: number }>();
  new Gauge({
    name: 'netdiag_changes_applied',
    help: 'Fixes and plans applied through netdiag and not rolled back',
    labelNames: ['kind'],
    registers,
    collect() {
      this.reset();
      const l = changeSummary();
      this.set({ kind: 'fix' }, l.applied.fix);
      this.set({ kind: 'plan' }, l.applied.plan);
    },
  });
  new Gauge({
    name: 'netdiag_changes_drifted',
    help: 'Applied fixes and plans whose journaled rule or route is no longer on the host',
    labelNames: ['kind'],
    registers,
    collect() {
      this.reset();
      const l = changeSummary();
      this.set({ kind: 'fix' }, l.drifted.fix);
      this.set({ kind: 'plan' }, l.drifted.plan);
    },
  });
  new Gauge({
    name: 'netdiag_peer_routes_missing',
    help: 'Routes to peer hosts\' container subnets that an applied plan added and that are gone',
    registers,
    collect() {
      this.set(changeSummary().missingRoutes);
    },
  });

  // The text served, and the render in progress: scrapes never wait for a render once there is a text to give
  // (a render interleaves with other requests for many ticks; waiting on it was the slowest 1% of scrapes).
  let rendered: { at: number; snapshot: HostSnapshot | null; changes: number; failure: string | null; text: string; bytes: Buffer } | null = null;
  let rendering: Promise<string> | null = null;
  const rerender = (): Promise<string> => {
    const snapshot = last();
    const changes = ledger.generation;
    const failure = store.lastError;
    reach();
    rendering ??= registry
      .metrics()
      .then((text) => {
        // Encoded once per render, not once per scrape.
        rendered = { at: Date.now(), snapshot, changes, failure, text, bytes: Buffer.from(text) };
        return text;
      })
      .finally(() => (rendering = null));
    return rendering;
  };
  /** The text a scrape may take now, or null when it must wait for a render. */
  const current = () => {
    if (!rendered) return null;
    // A new snapshot, a change applied or undone, or a collection failing (the snapshot kept, stale now) is shown at
    // once; otherwise the text may be up to a second old (process metrics).
    if (rendered.snapshot !== last() || rendered.changes !== ledger.generation || rendered.failure !== store.lastError) return null;
    if (Date.now() - rendered.at > 1000) void rerender().catch(() => undefined);
    return rendered;
  };
  let webConfig: { ok: Gauge; at: Gauge } | null = null;
  return {
    registry,
    observeWebConfig(ok: boolean) {
      // Named as Prometheus names its own (prometheus_config_last_reload_successful and _success_timestamp_seconds).
      webConfig ??= {
        ok: new Gauge({ name: 'netdiag_web_config_last_reload_successful', help: 'Whether the last load of the web config (--web-config) succeeded; 0 keeps the previous config', registers }),
        at: new Gauge({ name: 'netdiag_web_config_last_reload_success_timestamp_seconds', help: 'When the web config was last loaded successfully', registers }),
      };
      webConfig.ok.set(ok ? 1 : 0);
      if (ok) webConfig.at.set(Date.now() / 1000);
      if (rendered) rendered.at = 0;
    },
    render() {
      const r = current();
      return r ? Promise.resolve(r.text) : rerender();
    },
    ready() {
      return current()?.bytes ?? null;
    },
    observeRefresh(s: HostSnapshot, world?: World | null) {
      if (rendered) rendered.at = 0;
      for (const [c, st] of Object.entries(s.collectors)) {
        duration.observe({ collector: c }, st.durationMs / 1000);
        if (st.status === 'failed' || st.status === 'partial') errors.inc({ collector: c });
      }
      for (const [key, v] of droppedByChain(world?.hosts[0] ?? buildHost(s))) {
        const prev = seen.get(key) ?? { packets: 0, bytes: 0 };
        dropped.inc({ chain: v.chain, family: v.family }, v.packets >= prev.packets ? v.packets - prev.packets : v.packets);
        droppedBytes.inc({ chain: v.chain, family: v.family }, v.bytes >= prev.bytes ? v.bytes - prev.bytes : v.bytes);
        seen.set(key, v);
      }
    },
  };
}
