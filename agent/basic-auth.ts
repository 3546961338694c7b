// basic_auth_users: bcrypt (bcryptjs, on a worker thread, so a compare never holds up /metrics), one compare at a
// time, successes remembered per config; an unknown user costs a real compare.
import { createHash } from 'node:crypto';
import { compareOffThread } from './bcrypt-thread.js';

/**
 * exporter-toolkit's own dummy: bcrypt of "fakepassword" at cost 10. An unknown user is compared against it, so the
 * answer takes as long as for a known one (cost 10, the usual) and timing does not tell which users exist.
 */
const DUMMY_HASH = '$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi';

/** Remembered successes: a scraper's every request would otherwise pay the full bcrypt cost. */
const CACHE_SIZE = 100;

export class BasicAuthUsers {
  /** Digests of user, hash and password that matched: never the password itself. */
  private readonly ok = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly users: ReadonlyMap<string, string>) {}

  get size(): number {
    return this.users.size;
  }

  /** True when `password` is `user`'s (bcrypt); false for a wrong password or an unknown user, after the same work. */
  async verify(user: string, password: string): Promise<boolean> {
    const known = this.users.get(user);
    const hash = known ?? DUMMY_HASH;
    const key = createHash('sha256').update(user).update('\u0000').update(hash).update('\u0000').update(password).digest('base64');
    if (known !== undefined && this.ok.has(key)) return true;
    // One compare at a time, as exporter-toolkit's mutex: a burst of guesses queues instead of sharing the CPU
    // between them, so each answer, and every scrape in between, keeps its pace.
    const compared = this.queue.then(() => compareOffThread(password, hash));
    this.queue = compared.catch(() => false);
    const match = await compared.catch(() => false);
    if (!match || known === undefined) return false;
    if (this.ok.size >= CACHE_SIZE) this.ok.delete(this.ok.values().next().value as string);
    this.ok.add(key);
    return true;
  }
}

/** `Authorization: Basic …` as user and password, or null when the header is not Basic or not user:password. */
export function parseBasic(header: string | undefined): { user: string; password: string } | null {
  const m = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(header ?? '');
  if (!m) return null;
  // RFC 7617: the user ends at the first colon, found in the bytes before they are read as UTF-8.
  const pair = Buffer.from(m[1] as string, 'base64');
  const colon = pair.indexOf(0x3a);
  if (colon < 0) return null;
  return { user: pair.subarray(0, colon).toString('utf8'), password: pair.subarray(colon + 1).toString('utf8') };
}
