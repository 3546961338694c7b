// A script run from V8's code cache: Node 20 has no compile cache of its own (module.enableCompileCache is Node 22's),
// and compiling zod and the answer's code is a fifth of a `why` the local agent answers. What v8-compile-cache did:
// vm.Script with cachedData, the cache written after the run so that it holds every function the run compiled.
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';

/** A CommonJS script's exports, and `keep`: write its cache if it had none that V8 took (never throws). */
export interface CachedScript<T> {
  exports: T;
  /** Whether V8 compiled it from the cache. */
  fromCache: boolean;
  keep(): void;
}

/**
 * Where a script's cache may live, first found first: beside the script (whoever may write the code may write its
 * cache), else the user's own cache directory. Never a shared directory such as /tmp: V8 runs cached code without
 * checking it against the source, so the cache must be as trusted as the code.
 */
export function cacheDirs(file: string, env: NodeJS.ProcessEnv): string[] {
  const home = env.XDG_CACHE_HOME || (env.HOME ? join(env.HOME, '.cache') : null);
  return [join(dirname(file), '.v8-cache'), ...(home ? [join(home, 'netdiag', 'v8-cache')] : [])];
}

/** FNV-1a of node's flags: a run with other flags (V8 rejects a cache made under others) keeps a cache of its own. */
function flagsKey(flags: readonly string[]): string {
  let h = 0x811c9dc5;
  for (const c of flags.join(' ')) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return h.toString(16);
}

/**
 * Whether a cache directory or file may be run from: owned by this user or by root, and writable by no one else.
 * `sudo` may keep the caller's HOME (Ubuntu did until 19.10): root must not run code an ordinary user put in
 * ~/.cache, and no user must run what another left in a directory all may write.
 */
export function trustedPath(path: string, euid: number | null = process.geteuid?.() ?? null): boolean {
  try {
    const st = statSync(path);
    if ((st.mode & 0o022) !== 0) return false;
    return euid === null || st.uid === euid || st.uid === 0;
  } catch {
    return false;
  }
}

/**
 * The cache's name: the script's name (the build puts its content's hash there, so a changed script never meets an old
 * cache; V8 itself checks only the source's length), node's version, architecture and flags (V8 rejects another V8's
 * cache, and another set of flags'). A rejected or unreadable cache is compiled past and rewritten, never an error.
 */
export const cacheName = (file: string) => `${basename(file)}.${process.version}-${process.arch}-${flagsKey(process.execArgv)}.v8`;

export function runCached<T>(file: string, env: NodeJS.ProcessEnv): CachedScript<T> {
  const source = readFileSync(file, 'utf8');
  const dirs = cacheDirs(file, env);
  const name = cacheName(file);
  let cachedData: Buffer | undefined;
  for (const d of dirs) {
    if (!trustedPath(d) || !trustedPath(join(d, name))) continue;
    try {
      cachedData = readFileSync(join(d, name));
      break;
    } catch {
      // Not there: the next place, or none.
    }
  }
  // CommonJS's own wrapper: the script is an esbuild bundle in cjs format, with no import() (a vm.Script has no loader
  // for one, and node 20 loses the main context's when the script comes from the cache): build.mjs makes them require.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, ...(cachedData ? { cachedData } : {}) });
  const fromCache = cachedData !== undefined && script.cachedDataRejected === false;
  const module = { exports: {} as T };
  (script.runInThisContext() as (...a: unknown[]) => void).call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  return {
    exports: module.exports,
    fromCache,
    keep() {
      if (fromCache) return;
      let data: Buffer;
      try {
        data = script.createCachedData();
      } catch {
        return;
      }
      for (const [i, d] of dirs.entries()) {
        try {
          // Beside the script, readable by whoever may run it; the user's own, by the user alone.
          mkdirSync(d, { recursive: true, mode: i === 0 ? 0o755 : 0o700 });
          // A directory it would not read from (another user's, or open to all): not written either.
          if (!trustedPath(d)) continue;
          // Written whole then renamed: a reader never sees half a cache, and two writers leave one whole one.
          const tmp = join(d, `.${name}.${process.pid}`);
          writeFileSync(tmp, data, { mode: 0o644 });
          renameSync(tmp, join(d, name));
          // The caches of earlier builds of this script go (one per build would pile up); this build's under other
          // flags or another node stay (removing them, two of those taking turns would rewrite it every run).
          const stem = basename(file).replace(/-[A-Z0-9]+\.cjs$/, '-');
          for (const old of readdirSync(d)) if (old.startsWith(stem) && !old.startsWith(`${basename(file)}.`)) rmSync(join(d, old), { force: true });
          return;
        } catch {
          // Not writable here: the next place, or no cache (the script runs as well without).
        }
      }
    },
  };
}
