// What doctor reports: one problem on a host, the evidence that shows it, and the fix.
export interface Finding {
  code: string;
  severity: 'error' | 'warning' | 'info';
  host: string;
  /** The interface, network or container the finding is about, when it is about one (its name on that host). */
  subject?: string;
  title: string;
  /** The rule, route, setting or object that shows it. */
  evidence: string[];
  fix: string;
}
