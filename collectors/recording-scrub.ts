// What a recording (`netdiag snapshot --record`, attached to bug reports) keeps of Docker's raw answers: everything the
// collectors read, but not containers' environments and command lines, nor labels and options the snapshot drops.
import { labelGlob, labelKept, optionKept, withoutUserinfo } from '../snapshot/kept-fields.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Labels as the snapshot keeps them (the same allow-list and globs), on whatever object holds them. */
function scrubLabels(o: unknown, field: string, kept: (k: string) => boolean): void {
  if (!isObject(o) || !isObject(o[field])) return;
  o[field] = Object.fromEntries(Object.entries(o[field] as Json).filter(([k]) => kept(k)));
}

/** Delete these fields: what no collector reads and a process's secrets travel in (env, argv). */
function drop(o: unknown, fields: readonly string[]): void {
  if (isObject(o)) for (const f of fields) delete o[f];
}

/**
 * One Docker answer as a recording may keep it (a copy; the collectors get the original). Environment, command
 * lines, service secrets and configs are dropped (no collector reads them); labels and network options are filtered
 * as the snapshot's are; the daemon's proxy URLs lose their userinfo.
 */
export function scrubDockerAnswer(method: string, answer: unknown, keepLabels: readonly string[] = []): unknown {
  const value = structuredClone(answer);
  const keep = keepLabels.map(labelGlob);
  const kept = (k: string) => labelKept(k, keep);
  const each = (f: (o: unknown) => void) => (Array.isArray(value) ? value.forEach(f) : f(value));
  switch (method) {
    case 'listContainers':
      each((c) => {
        drop(c, ['Command']);
        scrubLabels(c, 'Labels', kept);
      });
      break;
    case 'inspectContainer':
      drop(value, ['Path', 'Args']);
      if (isObject(value)) {
        // A health check is a command line too (curl -u user:pass …).
        drop(value.Config, ['Env', 'Cmd', 'Entrypoint', 'Healthcheck']);
        scrubLabels(value.Config, 'Labels', kept);
        // Logging drivers' options hold their endpoints' credentials (splunk-token, loki-url with user:pass).
        drop(value.HostConfig, ['LogConfig']);
      }
      break;
    case 'listNetworks':
    case 'inspectNetwork':
      each((n) => {
        scrubLabels(n, 'Labels', kept);
        if (!isObject(n)) return;
        scrubLabels(n, 'Options', (k) => optionKept(String(n.Driver ?? ''), k));
        // A third-party IPAM driver's options (its API's address and credentials); only IPAM.Config is read.
        drop(n.IPAM, ['Options']);
      });
      break;
    case 'listServices':
      each((s) => {
        if (!isObject(s) || !isObject(s.Spec)) return;
        scrubLabels(s.Spec, 'Labels', kept);
        const task = isObject(s.Spec.TaskTemplate) ? s.Spec.TaskTemplate : null;
        drop(task, ['LogDriver']);
        const spec = task?.ContainerSpec;
        drop(spec, ['Env', 'Args', 'Command', 'Secrets', 'Configs', 'Healthcheck']);
        scrubLabels(spec, 'Labels', kept);
      });
      break;
    case 'info':
      if (isObject(value)) {
        // dockerd's own --label values are free text too.
        if (Array.isArray(value.Labels)) value.Labels = value.Labels.filter((l) => typeof l === 'string' && kept(l.split('=')[0] as string));
        for (const f of ['HttpProxy', 'HttpsProxy']) if (typeof value[f] === 'string') value[f] = withoutUserinfo(value[f] as string);
      }
      break;
  }
  return value;
}
