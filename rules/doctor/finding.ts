// What doctor reports: one problem on a host, the evidence that shows it, and the fix.
export interface Finding {
  code: string;
  severity: 'error' | 'warning' | 'info';
  host: string;
  title: string;
  /** The rule, route, setting or object that shows it. */
  evidence: string[];
  fix: string;
}
