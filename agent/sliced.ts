// Long answers computed in slices: a generator's steps run until a time slice is spent, then the caller's event loop
// gets its turn (an agent keeps answering scrapes while a 150-container matrix is walked).

/** When a walk must stop (performance.now() time) and what to throw then: checked between steps, never mid-step. */
export interface Deadline {
  at: number;
  error: () => Error;
}

export async function runSliced<T>(steps: Generator<unknown, T>, sliceMs = 8, yieldNow: () => Promise<void> = () => new Promise((r) => setImmediate(r)), deadline?: Deadline): Promise<T> {
  let start = performance.now();
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    const now = performance.now();
    // A walk nobody will wait for any more stops here, and its generator is closed (nothing half-kept).
    if (deadline && now > deadline.at) {
      steps.return(undefined as T);
      throw deadline.error();
    }
    if (now - start > sliceMs) {
      await yieldNow();
      start = performance.now();
    }
  }
}

/** The same steps, keeping what each yields (a matrix's rows of text) in `into`; the return value passes through. */
export function* collecting<T, R>(steps: Generator<T, R>, into: T[]): Generator<void, R> {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    into.push(r.value);
    yield;
  }
}
