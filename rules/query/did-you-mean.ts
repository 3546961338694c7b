// "Did you mean": the names in view closest to a mistyped one, by edit distance (Damerau–Levenshtein, optimal string
// alignment: a swapped pair of letters is one slip, as people make them), instead of a list of names that happen to sort first.

/** Edits (insert, delete, substitute, swap two neighbours) from a to b. */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  // Three rows are enough: a swap looks two rows back.
  let prev2 = new Array<number>(n + 1).fill(0);
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  let cur = new Array<number>(n + 1).fill(0);
  for (let i = 1; i <= m; i++) {
    cur[0] = i;
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, (prev2[j - 2] as number) + 1);
      cur[j] = d;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[n] as number;
}

/**
 * The candidates closest to `word`, if close enough to be what was meant (at most `max`, ties in order): within a third of its
 * length in edits (at least one), or starting with it (a name typed short: `alpine` for alpine-01). Case is ignored:
 * `Redis-1` is one slip from redis-1, not seven.
 */
export function closest(word: string, candidates: Iterable<string>, max = 4): string[] {
  const w = word.toLowerCase();
  const limit = Math.max(1, Math.floor(w.length / 3));
  const scored = new Map<string, number>();
  for (const c of candidates) {
    const l = c.toLowerCase();
    const d = w.length >= 3 && l.startsWith(w) ? 0.5 : editDistance(w, l);
    const had = scored.get(c);
    if (d <= limit && (had === undefined || d < had)) scored.set(c, d);
  }
  // Only the closest: `Redis-1` means redis-1, not also redis-2 one edit further.
  const best = Math.min(...scored.values());
  return [...scored].filter(([, d]) => d === best).sort((x, y) => x[0].localeCompare(y[0])).slice(0, max).map(([c]) => c);
}
