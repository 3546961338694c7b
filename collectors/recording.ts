// Record every answer a live host gives the collectors, and replay it: fixtures for unit tests and bug reports.
import { z } from 'zod';
import type { CollectContext } from './collector.js';
import { CommandError } from '../host/exec.js';
import type { CommandResult } from '../host/exec.js';
import type { DockerSource } from '../host/docker.js';
import type { HostSource } from '../host/os.js';
import { scrubDockerAnswer } from './recording-scrub.js';

export const Recording = z.object({
  schema: z.literal('netdiag/recording@1'),
  /** Where and how this was captured (tool versions, scenario, date). */
  provenance: z.record(z.string(), z.string()),
  commands: z.record(z.string(), z.object({ stdout: z.string(), stderr: z.string(), exitCode: z.number().int() })),
  files: z.record(z.string(), z.string().nullable()),
  dirs: z.record(z.string(), z.array(z.string()).nullable()),
  links: z.record(z.string(), z.string().nullable()).default({}),
  docker: z.record(z.string(), z.unknown()),
  host: z.record(z.string(), z.unknown()),
});
export type Recording = z.infer<typeof Recording>;

const commandKey = (file: string, args: readonly string[]) => [file, ...args].join(' ');

type DockerMethod = Exclude<keyof DockerSource, 'endpoint'>;
const DOCKER_METHODS: DockerMethod[] = ['version', 'info', 'listNetworks', 'listContainers', 'inspectContainer', 'inspectNetwork', 'listServices'];

/** Wrap a live context so that every answer it gives is also written into `rec`. */
export function recordingContext(live: CollectContext, provenance: Record<string, string>): { ctx: CollectContext; recording: Recording } {
  const rec: Recording = { schema: 'netdiag/recording@1', provenance, commands: {}, files: {}, dirs: {}, links: {}, docker: {}, host: {} };
  const docker = { endpoint: live.docker.endpoint } as DockerSource;
  for (const m of DOCKER_METHODS) {
    (docker as unknown as Record<string, (id?: string) => Promise<unknown>>)[m] = async (id?: string) => {
      const value = await (live.docker[m] as (id?: string) => Promise<unknown>)(id);
      // Recordings go into bug reports: kept without environments, command lines, or labels the snapshot drops.
      rec.docker[id ? `${m} ${id}` : m] = scrubDockerAnswer(m, value, live.keepLabels);
      return value;
    };
  }
  const host: HostSource = {
    identity: async () => (rec.host.identity = await live.host.identity()) as Awaited<ReturnType<HostSource['identity']>>,
    addresses: async () => (rec.host.addresses = await live.host.addresses()) as Awaited<ReturnType<HostSource['addresses']>>,
  };
  const ctx: CollectContext = {
    ...live,
    exec: async (file, args, opts) => {
      const r = await live.exec(file, args, opts);
      rec.commands[commandKey(file, args)] = r;
      return r;
    },
    readFile: async (p) => (rec.files[p] = await live.readFile(p)),
    listDir: async (p) => (rec.dirs[p] = await live.listDir(p)),
    readLink: async (p) => (rec.links[p] = await live.readLink(p)),
    docker,
    host,
  };
  return { ctx, recording: rec };
}

/** A context that answers from a recording; anything not recorded fails as if the tool were missing. */
export function replayContext(rec: Recording, timeoutMs = 5_000): Omit<CollectContext, 'containers' | 'sandboxes'> {
  const notRecorded = (what: string) => Object.assign(new Error(`not in the recording: ${what}`), { code: 'ENOENT' });
  const docker = { endpoint: String(rec.provenance.dockerHost ?? 'unix:///var/run/docker.sock') } as DockerSource;
  for (const m of DOCKER_METHODS) {
    (docker as unknown as Record<string, (id?: string) => Promise<unknown>>)[m] = async (id?: string) => {
      const key = id ? `${m} ${id}` : m;
      if (!(key in rec.docker)) {
        // A container inspected in the list but missing here vanished between the two calls: Docker says 404.
        if (m === 'inspectContainer') throw Object.assign(new Error(`No such container: ${id}`), { statusCode: 404 });
        throw notRecorded(key);
      }
      return structuredClone(rec.docker[key]);
    };
  }
  return {
    exec: async (file, args): Promise<CommandResult> => {
      const r = rec.commands[commandKey(file, args)];
      if (!r) {
        throw new CommandError(`${file} not found`, `not in the recording: ${commandKey(file, args)}`, 'missing');
      }
      return { ...r };
    },
    readFile: async (p) => (p in rec.files ? (rec.files[p] ?? null) : null),
    listDir: async (p) => (p in rec.dirs ? (rec.dirs[p] ?? null) : null),
    readLink: async (p) => (p in rec.links ? (rec.links[p] ?? null) : null),
    docker,
    host: {
      identity: async () => rec.host.identity as Awaited<ReturnType<HostSource['identity']>>,
      addresses: async () => rec.host.addresses as Awaited<ReturnType<HostSource['addresses']>>,
    },
    timeoutMs,
  };
}
