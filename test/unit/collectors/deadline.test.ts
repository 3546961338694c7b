// A collector's deadline grows with the containers it enters (collectors/run.ts withDeadline): a 500-container host
// must not fail every collection at a deadline sized for 50, and a host whose list cannot be read keeps the plain one.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEADLINE_PER_CONTAINER_MS, withDeadline } from '../../../collectors/run.js';

const after = (ms: number) => new Promise<string>((resolve) => setTimeout(() => resolve('done'), ms));
const outcome = (p: Promise<string>) => p.then((v) => v, (e: Error) => e.message);

describe('a collector deadline', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits the plain deadline plus its allowance for each container once the list says how many', async () => {
    const n = 500;
    const total = 1000 + n * DEADLINE_PER_CONTAINER_MS;
    const r = outcome(withDeadline(after(total - 10), 1000, 'links', Promise.resolve(n)));
    await vi.advanceTimersByTimeAsync(total);
    expect(await r).toBe('done');
  });

  it('fails past the extended deadline, saying what it was made of', async () => {
    const r = outcome(withDeadline(after(100_000), 1000, 'links', Promise.resolve(500)));
    await vi.advanceTimersByTimeAsync(1000 + 500 * DEADLINE_PER_CONTAINER_MS + 1);
    expect(await r).toBe(`the links collector did not finish within ${1000 + 500 * DEADLINE_PER_CONTAINER_MS} ms (1000 ms and ${DEADLINE_PER_CONTAINER_MS} ms for each of 500 containers)`);
  });

  it('counts from its start when the list answers late, and keeps the plain deadline when the list fails', async () => {
    let answer: (n: number) => void = () => undefined;
    const late = new Promise<number>((resolve) => (answer = resolve));
    const r = outcome(withDeadline(after(100_000), 1000, 'routes', late));
    await vi.advanceTimersByTimeAsync(900);
    answer(10);
    await vi.advanceTimersByTimeAsync(1000 + 10 * DEADLINE_PER_CONTAINER_MS - 900 + 1);
    expect(await r).toContain(`within ${1000 + 10 * DEADLINE_PER_CONTAINER_MS} ms`);
    const failed = outcome(withDeadline(after(100_000), 1000, 'routes', Promise.reject(new Error('docker down'))));
    await vi.advanceTimersByTimeAsync(1001);
    expect(await failed).toBe('the routes collector did not finish within 1000 ms');
  });
});
