// Where the agent's walks run: on a worker thread holding its own copy of the world, so the main thread only answers
// HTTP. A fix search (a second at 500 containers), a map's Graphviz layout (seconds) and one row of a matrix (up to
// 200 ms) are single steps nothing can slice; on the main thread each made every scrape behind it wait that long.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { FixRefused } from '../actuation/fix.js';
import type { Reach } from '../rules/metrics/host-counts.js';
import { ResolveError } from '../rules/query/resolve.js';
import { answerBytes, reachability } from './answers.js';
import type { WalkQuestion } from './answers.js';
import type { Deadline } from './sliced.js';
import type { StoreState } from './snapshot-store.js';

export interface Walker {
  /** Where walks run, for logs and tests: `thread` or `in-thread`. */
  readonly where: 'thread' | 'in-thread';
  /**
   * The answer for `state`'s world, as the UTF-8 bytes that go out: moved from the thread without a copy, and sent
   * without encoding (a 500-container matrix is tens of MB: encoding it on the main thread held every scrape).
   */
  answer(state: StoreState, q: WalkQuestion, deadline?: Deadline): Promise<Buffer>;
  /** Reachability between networks (the /metrics series) for `state`'s world. */
  reach(state: StoreState): Promise<Reach>;
  close(): Promise<void>;
}

/** Messages to the thread: a world to hold (the snapshots it is built from), or a walk on the world last sent. */
export type ToWalker = { type: 'world'; snapshots: string } | { type: 'text'; id: number; q: WalkQuestion; deadlineMs: number | null } | { type: 'reach'; id: number };
/** What failed on the thread, as much of it as the error handler needs to say it. */
export interface WalkFailure {
  name: string;
  message: string;
  hint?: string | undefined;
  statusCode?: number | undefined;
}
export type FromWalker = { id: number; value: Uint8Array | Reach } | { id: number; failure: WalkFailure };

/** The name the thread gives an error it stopped a walk with at its deadline; the caller's own deadline error is thrown. */
export const DEADLINE = 'WalkDeadline';

/** Walks on the calling thread (tests run from source, where no thread entry file exists). */
export function inThreadWalker(): Walker {
  return {
    where: 'in-thread',
    answer: async (state, q, deadline) => {
      const u = await answerBytes(state.world, q, deadline);
      return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
    },
    reach: (state) => reachability(state.world),
    close: async () => undefined,
  };
}

/**
 * The thread's entry file beside this module: tsc's output (dist/agent/walker-thread.js) or the bundle's
 * (dist/agent-walker.mjs, beside dist/netdiag.mjs and one level above its chunks); null when running from source.
 */
export function walkerFile(): string | null {
  for (const rel of ['./walker-thread.js', '../agent-walker.mjs', './agent-walker.mjs']) {
    const url = new URL(rel, import.meta.url);
    if (url.protocol === 'file:' && existsSync(url)) return fileURLToPath(url);
  }
  return null;
}

/** On a worker thread when its entry file exists, else in-thread. */
export function defaultWalker(): Walker {
  const file = walkerFile();
  return file ? threadWalker(file) : inThreadWalker();
}

/**
 * A thread left idle this long ends, and the next walk starts another: a thread holds its own heap, code and world
 * (20-60 MB), and an agent mostly waits for its next refresh. Starting one costs the thread ~0.1 s, the main thread
 * the snapshot's JSON.
 */
export const WALKER_IDLE_MS = 5_000;

/**
 * How long past a walk's deadline the main thread waits for the thread to stop it between slices. A step no slicing
 * splits (a fix search, a map layout) cannot be stopped there: the thread is then ended, and the walks it held besides
 * are asked again of a new one.
 */
export const DEADLINE_GRACE_MS = 1_000;

/**
 * The JSON a thread builds its world from, written once per snapshot state and kept with it (weakly: it goes when the
 * state does). Written at each thread start, it was 1.2 MB at 500 containers, 29-85 ms of the main thread each time a
 * walk started a thread after one had idled out, every scrape waiting behind it; posting the kept string is a copy.
 */
const worldTexts = new WeakMap<StoreState, string>();
export function worldText(state: StoreState): string {
  let text = worldTexts.get(state);
  if (text === undefined) worldTexts.set(state, (text = JSON.stringify(state.snapshots)));
  return text;
}

interface Pending {
  resolve: (v: Uint8Array | Reach) => void;
  reject: (e: Error) => void;
  /** The world the walk is asked of, and the message asking it (built again when the walk moves to a new thread). */
  state: StoreState;
  ask: (id: number) => ToWalker;
  deadline?: Deadline | undefined;
  timer: NodeJS.Timeout | null;
}

/** Walks on a worker thread started from `file` (started on the first walk, again after it died or idled out). */
export function threadWalker(file: string, idleMs = WALKER_IDLE_MS, graceMs = DEADLINE_GRACE_MS): Walker & { readonly started: number; readonly alive: boolean } {
  let started = 0;
  let worker: Worker | null = null;
  let idle: NodeJS.Timeout | null = null;
  // Weakly: the state last sent is compared, never kept alive here once the store has moved on (its world and snapshots).
  let sent: WeakRef<StoreState> | null = null;
  let nextId = 0;
  const pending = new Map<number, Pending>();
  const settle = (id: number): Pending | undefined => {
    const p = pending.get(id);
    if (!p) return undefined;
    pending.delete(id);
    if (p.timer) clearTimeout(p.timer);
    return p;
  };
  const fail = (e: Error) => {
    worker = null;
    sent = null;
    for (const id of [...pending.keys()]) settle(id)?.reject(e);
  };
  const idleOut = (w: Worker) => {
    if (idle) clearTimeout(idle);
    idle = setTimeout(() => {
      idle = null;
      if (worker === w && pending.size === 0) {
        worker = null;
        sent = null;
        void w.terminate();
      }
    }, idleMs).unref();
  };
  const start = (): Worker => {
    if (worker) return worker;
    const w = new Worker(file);
    started++;
    w.on('message', (m: FromWalker) => {
      const p = settle(m.id);
      if (worker === w && pending.size === 0) {
        // Nothing asked of it: it no longer keeps the process alive, and ends if nothing is asked for a while.
        w.unref();
        idleOut(w);
      }
      if (!p) return;
      if ('value' in m) p.resolve(m.value);
      else p.reject(failure(m.failure, p.deadline));
    });
    w.on('error', (e) => {
      if (worker === w) fail(e);
    });
    w.on('exit', (code) => {
      if (worker === w) fail(new Error(`the walker thread exited (${code})`));
    });
    w.unref();
    return (worker = w);
  };
  /** Ask the thread for walk `id` (a new thread when there is none), the world first when it holds another. */
  const send = (id: number, p: Pending) => {
    if (idle) clearTimeout(idle);
    idle = null;
    const w = start();
    // Messages arrive in order: the world is there before the walk asked of it. A walk already running keeps its own.
    if (sent?.deref() !== p.state) {
      w.postMessage({ type: 'world', snapshots: worldText(p.state) } satisfies ToWalker);
      sent = new WeakRef(p.state);
    }
    // Held while a walk is pending, so a process that asked waits for its answer; never kept alive by an idle thread.
    w.ref();
    w.postMessage(p.ask(id));
  };
  /** A walk still running past its deadline and grace: answered with its deadline error, the thread ended, the others asked again. */
  const overdue = (id: number) => {
    const p = settle(id);
    if (!p) return;
    p.reject(p.deadline ? p.deadline.error() : new Error('past the deadline'));
    const w = worker;
    worker = null;
    sent = null;
    if (w) void w.terminate();
    for (const [other, q] of pending) send(other, q);
  };
  const post = <T extends Uint8Array | Reach>(state: StoreState, ask: (id: number) => ToWalker, deadline?: Deadline): Promise<T> => {
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      const p: Pending = { resolve: resolve as (v: Uint8Array | Reach) => void, reject, state, ask, deadline, timer: null };
      pending.set(id, p);
      try {
        send(id, p);
      } catch (e) {
        // Not sent (a message that cannot be cloned): nothing is pending, nothing holds the thread.
        settle(id);
        if (worker && pending.size === 0) {
          worker.unref();
          idleOut(worker);
        }
        throw e;
      }
      if (deadline) p.timer = setTimeout(() => overdue(id), Math.max(0, deadline.at - performance.now()) + graceMs).unref();
    });
  };
  return {
    where: 'thread',
    get started() {
      return started;
    },
    get alive() {
      return worker !== null;
    },
    answer: async (state, q, deadline) => {
      const u = await post<Uint8Array>(state, (id) => ({ type: 'text', id, q, deadlineMs: deadline ? deadline.at - performance.now() : null }), deadline);
      return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
    },
    reach: (state) => post<Reach>(state, (id) => ({ type: 'reach', id })),
    async close() {
      if (idle) clearTimeout(idle);
      idle = null;
      const w = worker;
      fail(new Error('the walker was closed'));
      if (w) await w.terminate();
    },
  };
}

/** The error as the error handler knows it: a name not found (404), a fix refused (409), the walk's deadline (503). */
function failure(f: WalkFailure, deadline?: Deadline): Error {
  if (f.name === DEADLINE && deadline) return deadline.error();
  if (f.name === 'ResolveError') return new ResolveError(f.message, f.hint ?? '');
  if (f.name === 'FixRefused') return new FixRefused(f.message, f.hint);
  const e = new Error(f.message) as Error & { statusCode?: number };
  e.name = f.name;
  if (f.statusCode !== undefined) e.statusCode = f.statusCode;
  return e;
}
