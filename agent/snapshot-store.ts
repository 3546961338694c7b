// The agent's view of its host: refreshed on an interval and on Docker events, one collection in flight at a time,
// and the last good snapshot kept (with its age) when a collection fails.
import type { HostSnapshot } from '../snapshot/host-snapshot.js';
import { buildWorld } from '../rules/model/build.js';
import type { World } from '../rules/model/types.js';

export interface StoreState {
  snapshot: HostSnapshot;
  world: World;
  /** When this snapshot was collected (ms since epoch). */
  at: number;
}

export interface RefreshOutcome {
  snapshot: HostSnapshot;
  kept: boolean;
}

export class SnapshotStore {
  private state: StoreState | null = null;
  private inFlight: Promise<RefreshOutcome> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private listeners: ((s: HostSnapshot, kept: boolean, world: World | null) => void)[] = [];
  /** Why the last collection was not taken, when it was not. */
  lastError: string | null = null;
  refreshes = 0;

  constructor(
    private readonly collect: () => Promise<HostSnapshot>,
    private readonly now: () => number = Date.now,
  ) {}

  /** A store that serves a fixed snapshot (tests, `--snapshot` replays). */
  static fixed(snapshot: HostSnapshot): SnapshotStore {
    const s = new SnapshotStore(async () => snapshot);
    s.state = { snapshot, world: buildWorld([snapshot]), at: Date.now() };
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

  /** Collect now; concurrent callers share the collection already in flight. */
  refresh(): Promise<RefreshOutcome> {
    this.inFlight ??= this.doRefresh().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async doRefresh(): Promise<RefreshOutcome> {
    const s = await this.collect();
    this.refreshes++;
    const failed = Object.entries(s.collectors).filter(([, c]) => c.status === 'failed');
    // A collector that failed would turn known facts into gaps: keep serving the last good snapshot, and say so.
    const keep = failed.length > 0 && this.state !== null;
    if (keep) {
      this.lastError = s.errors.map((e) => `${e.collector}: ${e.message}`).join('; ');
    } else {
      this.state = { snapshot: s, world: buildWorld([s]), at: this.now() };
      this.lastError = failed.length > 0 ? s.errors.map((e) => `${e.collector}: ${e.message}`).join('; ') : null;
    }
    for (const l of this.listeners) l(s, keep, keep ? null : (this.state?.world ?? null));
    return { snapshot: s, kept: keep };
  }

  start(intervalMs: number): void {
    this.stop();
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
