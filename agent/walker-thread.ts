// The walker thread's entry: holds the world built from the snapshots the agent last sent, answers walks on it.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { buildWorld } from '../rules/model/build.js';
import type { World } from '../rules/model/types.js';
import type { HostSnapshot } from '../snapshot/host-snapshot.js';
import { answerBytes, reachability } from './answers.js';
import { DEADLINE } from './walker.js';
import type { FromWalker, ToWalker, WalkFailure } from './walker.js';

// Below the main thread for the kernel: on two cores shared with a scraper, a runnable walk would otherwise take a
// core from the thread answering /metrics for a whole time slice. Linux applies a thread id's priority to that thread.
try {
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  if (Number.isInteger(tid)) setPriority(tid, 10);
} catch {
  /* not Linux, or not allowed: the same answers, only less polite */
}

const port = parentPort;
if (!port) throw new Error('the walker runs on a worker thread');
let world: World | null = null;
/** Why the last world sent could not be built: every walk on it fails with that (the thread itself stays up). */
let worldFailure: WalkFailure | null = null;

const failureOf = (e: unknown): WalkFailure => {
  const x = e as Error & { hint?: unknown; statusCode?: unknown };
  return { name: x?.name ?? 'Error', message: x?.message ?? String(e), hint: typeof x?.hint === 'string' ? x.hint : undefined, statusCode: typeof x?.statusCode === 'number' ? x.statusCode : undefined };
};

port.on('message', (m: ToWalker) => {
  if (m.type === 'world') {
    // Dropped first: the old world is not held while the new one is built (walks running keep theirs).
    world = null;
    try {
      world = buildWorld(JSON.parse(m.snapshots) as HostSnapshot[]);
      worldFailure = null;
    } catch (e) {
      // Thrown here, it would end the thread and every walk on it, and each next walk would start one to fail again.
      worldFailure = failureOf(e);
    }
    return;
  }
  const w = world;
  const broken = worldFailure;
  const answer = async () => {
    if (broken) throw Object.assign(new Error(broken.message), broken);
    if (!w) throw new Error('no world sent to the walker');
    if (m.type === 'reach') return reachability(w);
    const deadline = m.deadlineMs === null ? undefined : { at: performance.now() + m.deadlineMs, error: () => Object.assign(new Error('past the deadline'), { name: DEADLINE }) };
    // Bytes that own their whole memory move to the main thread instead of being copied; a small answer cut from
    // Buffer's shared pool is copied out first (moving the pool would take it from under every other Buffer).
    const u = await answerBytes(w, m.q, deadline);
    return u.byteOffset === 0 && u.byteLength === u.buffer.byteLength ? u : new Uint8Array(u);
  };
  answer().then(
    (value) => port.postMessage({ id: m.id, value } satisfies FromWalker, value instanceof Uint8Array ? [value.buffer as ArrayBuffer] : []),
    (e: unknown) => port.postMessage({ id: m.id, failure: failureOf(e) } satisfies FromWalker),
  );
});
