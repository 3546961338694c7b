// The web config as it is now: looked at again at most once a second (on a new connection or request), reloaded when
// the file or any file it names changed; a bad new one keeps the old and says so once.
import { statSync } from 'node:fs';
import { loadWebConfig } from './web-config.js';
import type { WebConfig } from './web-config.js';

/** What tells a file changed without reading it: inode (a file replaced by rename), size, mtime and ctime. */
function stampOf(files: readonly string[]): string {
  return files
    .map((f) => {
      try {
        const s = statSync(f);
        return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
      } catch {
        return 'missing';
      }
    })
    .join('|');
}

export interface ReloadReport {
  ok: boolean;
  /** The new config when ok; the reason when not (one line, naming the file and key). */
  config?: WebConfig;
  error?: string;
}

export class WebConfigSource {
  private config: WebConfig;
  private stamp: string;
  private checkedAt: number;
  private readonly listeners: ((r: ReloadReport) => void)[] = [];

  constructor(
    readonly file: string,
    /** A reload's validity check beyond the file's own (the listener refuses switching TLS on or off, for one). */
    private readonly accept: (next: WebConfig, prev: WebConfig) => string | null = () => null,
    private readonly minIntervalMs = 1000,
  ) {
    this.config = loadWebConfig(file);
    this.stamp = stampOf(this.config.files);
    this.checkedAt = Date.now();
  }

  /** Called with every reload attempt's outcome (the log line and the gauges). */
  onReload(listener: (r: ReloadReport) => void): void {
    this.listeners.push(listener);
  }

  /** The config in force, after a look at its files when the last look is more than a second old. */
  current(now = Date.now()): WebConfig {
    if (now - this.checkedAt < this.minIntervalMs) return this.config;
    this.checkedAt = now;
    const stamp = stampOf(this.config.files);
    if (stamp === this.stamp) return this.config;
    // Whatever the outcome, this state of the files was judged: a bad config is reported once, not on every look.
    this.stamp = stamp;
    let report: ReloadReport;
    try {
      const next = loadWebConfig(this.file);
      const refused = this.accept(next, this.config);
      if (refused) report = { ok: false, error: `web config ${this.file}: ${refused}` };
      else {
        this.config = next;
        // The new config may name other files: watch those from now on.
        this.stamp = stampOf(next.files);
        report = { ok: true, config: next };
      }
    } catch (error) {
      report = { ok: false, error: (error as Error).message };
    }
    for (const l of this.listeners) l(report);
    return this.config;
  }
}
