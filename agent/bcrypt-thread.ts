// bcrypt compares on a worker thread of their own: bcryptjs's async compare yields only every 100 ms of work, and a
// scrape whose answer needs a few turns of the event loop (prom-client reads /proc) would wait a slice at each turn.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import bcrypt from 'bcryptjs';

/** The worker: bcryptjs's synchronous compare, one message at a time (the thread is free to block). */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData);
parentPort.on('message', (m) => {
  let ok = false;
  try { ok = bcrypt.compareSync(m.password, m.hash); } catch { ok = false; }
  parentPort.postMessage({ id: m.id, ok });
});
`;

let worker: Worker | null = null;
let failed = false;
let nextId = 0;
const pending = new Map<number, (ok: boolean) => void>();

function start(): Worker | null {
  if (worker || failed) return worker;
  try {
    // The CommonJS build of the same package, for the worker's require.
    const w = new Worker(WORKER, { eval: true, workerData: createRequire(import.meta.url).resolve('bcryptjs') });
    w.on('message', (m: { id: number; ok: boolean }) => {
      pending.get(m.id)?.(m.ok);
      pending.delete(m.id);
      if (pending.size === 0) w.unref();
    });
    w.on('error', () => {
      // A thread that died answers no more: what waits is refused, what comes next compares on the main thread.
      failed = true;
      worker = null;
      for (const done of pending.values()) done(false);
      pending.clear();
    });
    w.unref();
    worker = w;
  } catch {
    failed = true;
  }
  return worker;
}

/** bcrypt.compare, off the main thread when a worker can run (else bcryptjs's own async compare). */
export function compareOffThread(password: string, hash: string): Promise<boolean> {
  const w = start();
  if (!w) return bcrypt.compare(password, hash).catch(() => false);
  return new Promise((resolve) => {
    const id = nextId++;
    pending.set(id, resolve);
    // Held while a compare is pending, so a short-lived process waits for its answer.
    w.ref();
    w.postMessage({ id, password, hash });
  });
}
