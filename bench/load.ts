// A bounded HTTP load: N requests at concurrency C against one URL, with latencies and errors counted.
export interface LoadResult {
  url: string;
  requests: number;
  errors: number;
  statuses: Record<string, number>;
  p50: number;
  p99: number;
  max: number;
  seconds: number;
}

export async function load(url: string, requests: number, concurrency: number, init: RequestInit = {}): Promise<LoadResult> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) {
        next++;
        const t = performance.now();
        try {
          const res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
          await res.arrayBuffer();
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          if (!res.ok) errors++;
        } catch (error) {
          errors++;
          const k = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
          statuses[k] = (statuses[k] ?? 0) + 1;
        }
        latencies.push(performance.now() - t);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return { url, requests, errors, statuses, p50: q(0.5), p99: q(0.99), max: q(1), seconds: (performance.now() - t0) / 1000 };
}
