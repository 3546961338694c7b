// The agent's view of its hosts: refreshed on an interval and on Docker events, one collection in flight at a time,
// the last good snapshot kept (with its age) when a collection fails — and that failure said, not hidden.
import type { HostSnapshot } from '../snapshot/host-snapshot.js';
import { keptSnapshot } from '../snapshot/kept-fields.js';
import { buildWorld } from '../rules/model/build.js';
import type { World } from '../rules/model/types.js';

export interface StoreState {
  /** The first (or only) host's snapshot: the agent's own host when live. */
  snapshot: HostSnapshot;
  /** Every host served: one when live, each --snapshot file in snapshot mode. */
  snapshots: HostSnapshot[];
  world: World;
  /** When this snapshot was collected (ms since epoch). */
  at: number;
}

export interface RefreshOutcome {
  snapshot: HostSnapshot;
  kept: boolean;
}

/**
 * Why a collection cannot be served, or null when it can. A collector that failed turns known facts into gaps; Docker
 * not answering at all (its socket gone: the collector calls that `absent`) would serve an empty host as if it were
 * true — an agent runs on a Docker host, so that is a failure too, not a host without containers.
 */
export function collectionFailure(s: HostSnapshot): string | null {
  const failed = Object.entries(s.collectors).filter(([name, c]) => c?.status === 'failed' || (name === 'docker' && c?.status === 'absent'));
  if (failed.length === 0) return null;
  const names = new Set(failed.map(([n]) => n));
  const said = s.errors.filter((e) => names.has(e.collector)).map((e) => `${e.collector}: ${e.message}`);
  return said.length > 0 ? said.join('; ') : `${[...names].join(', ')} failed`;
}

export class SnapshotStore {
  private state: StoreState | null = null;
  private inFlight: Promise<RefreshOutcome> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private listeners: ((s: HostSnapshot, kept: boolean, world: World | null) => void)[] = [];
  /** Why the last collection was not taken, when it was not (null when it was). */
  lastError: string | null = null;
  /** The last collection failed (it threw, or a collector failed): /readyz is not ready, the snapshot is stale. */
  lastFailed = false;
  /**
   * The failed collection's own statuses when the last one failed (null when it succeeded, or threw before any
   * collector ran): what each collector did then, beside the last good snapshot's that is still served.
   */
  lastAttempt: { collectedAt: string; collectors: HostSnapshot['collectors'] } | null = null;
  /** Saved snapshots served as they are (`--snapshot`): nothing is collected, nothing changed. */
  readonly mode: 'live' | 'snapshot';
  refreshes = 0;
  /** The refresh interval once started (null: saved snapshots, or not started): how old a served snapshot may be and still be the latest. */
  refreshMs: number | null = null;

  constructor(
    private readonly collect: () => Promise<HostSnapshot>,
    private readonly now: () => number = Date.now,
    mode: 'live' | 'snapshot' = 'live',
  ) {
    this.mode = mode;
  }

  /** A store that serves a fixed snapshot (tests, replays); its age counts from now. */
  static fixed(snapshot: HostSnapshot): SnapshotStore {
    const s = new SnapshotStore(async () => snapshot);
    s.state = { snapshot, snapshots: [snapshot], world: buildWorld([snapshot]), at: Date.now() };
    return s;
  }

  /**
   * Saved snapshots of one or more hosts (`netdiag agent --snapshot`, `map --serve`): their age is since they were taken.
   * Passed through the collector's filter first (labels and options netdiag reads, plus `keepLabels`): a snapshot saved
   * by an older netdiag, or with --keep-labels, holds labels this agent was not asked to serve.
   */
  static saved(input: HostSnapshot[], now: () => number = Date.now, keepLabels: readonly string[] = []): SnapshotStore {
    const snapshots = input.map((s) => keptSnapshot(s, keepLabels));
    const first = snapshots[0];
    if (!first) throw new Error('no snapshot to serve');
    const s = new SnapshotStore(async () => first, now, 'snapshot');
    const taken = Date.parse(first.collectedAt);
    s.state = { snapshot: first, snapshots, world: buildWorld(snapshots), at: Number.isNaN(taken) ? now() : taken };
    return s;
  }

  get current(): StoreState | null {
    return this.state;
  }

  ageSeconds(): number | null {
    return this.state ? Math.max(0, (this.now() - this.state.at) / 1000) : null;
  }

  onRefresh(fn: (s: HostSnapshot, kept: boolean, world: World | null) => void): void {
    this.listeners.push(fn);
  }

  /** Collect now; concurrent callers share the collection already in flight. Saved snapshots are never collected. */
  refresh(): Promise<RefreshOutcome> {
    if (this.mode === 'snapshot') return Promise.resolve({ snapshot: (this.state as StoreState).snapshot, kept: true });
    this.inFlight ??= this.doRefresh().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async doRefresh(): Promise<RefreshOutcome> {
    let s: HostSnapshot;
    try {
      s = await this.collect();
    } catch (error) {
      // A collection that could not run at all is the plainest failure: the snapshot served is now stale.
      this.refreshes++;
      this.lastFailed = true;
      this.lastAttempt = null;
      this.lastError = `collection failed: ${(error as Error).message}`;
      throw error;
    }
    this.refreshes++;
    const failure = collectionFailure(s);
    // A failed collection keeps serving the last good snapshot, and says so; the first one is served (something
    // beats nothing) but still counts as failed.
    const keep = failure !== null && this.state !== null;
    if (!keep) this.state = { snapshot: s, snapshots: [s], world: buildWorld([s]), at: this.now() };
    this.lastFailed = failure !== null;
    this.lastAttempt = keep ? { collectedAt: s.collectedAt, collectors: s.collectors } : null;
    this.lastError = failure;
    for (const l of this.listeners) l(s, keep, keep ? null : (this.state?.world ?? null));
    return { snapshot: s, kept: keep };
  }

  start(intervalMs: number): void {
    this.stop();
    this.refreshMs = intervalMs;
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
