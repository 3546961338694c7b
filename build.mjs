// The CLI's bundle: esbuild with code splitting (each command loads only what it uses), dependencies made for a
// server (fastify, prom-client, dockerode, yaml, Graphviz, bcryptjs) left to node_modules and loaded when a command needs them.
import { chmodSync, readdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { build } from 'esbuild';

/**
 * zod's `z` carries a namespace of 50 message locales (366 kB, half its code), which every command compiled at start
 * (~10 ms of `netdiag why`). netdiag speaks English: the namespace is reduced to the English locale zod configures.
 */
const englishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) => (args.importer.includes('/node_modules/zod/') ? { path: args.path, namespace: 'zod-locales' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, () => ({ contents: "export { default as en } from 'zod/v4/locales/en.js';", resolveDir: import.meta.dirname }));
  },
};

/**
 * commander requires node:child_process at load, for subcommands run as executables of their own, which netdiag has
 * none of: ~8 ms of every start, and of `why` answered by the local agent nothing else loads it. Required when used.
 */
const commanderLazyChildProcess = {
  name: 'commander-lazy-child-process',
  setup(b) {
    b.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, async (args) => {
      const eager = "const childProcess = require('node:child_process');";
      const text = await readFile(args.path, 'utf8');
      // A commander that no longer reads it this way is bundled as it is, and the build says so.
      if (!text.includes(eager)) return { contents: text, loader: 'js', warnings: [{ text: 'commander-lazy-child-process: the require was not found; child_process is loaded eagerly' }] };
      return { contents: text.replace(eager, "const childProcess = { spawn: (...a) => require('node:child_process').spawn(...a) };"), loader: 'js' };
    });
  },
};

/** The server's dependencies named in the header: left to node_modules by every bundle. */
const serverPackages = ['dockerode', 'fastify', 'prom-client', 'yaml', '@viz-js/viz', 'bcryptjs'];

rmSync('dist/chunks', { recursive: true, force: true });
for (const f of readdirSync('dist')) if (/^why-quick-.*\.cjs$/.test(f)) rmSync(join('dist', f));
// The caches of the scripts just replaced (cli/code-cache.ts): named by content, they would never be read again.
rmSync('dist/.v8-cache', { recursive: true, force: true });

/** The two CommonJS outputs (the quick script and the executable): one bundle each, for node 20, beside the rest. */
const commonJsForNode20 = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', outdir: 'dist', outExtension: { '.js': '.cjs' } };

/**
 * `why A B [--json]` answered by the local agent (cli/why-quick.ts): one CommonJS script, which bin.ts runs through
 * V8's code cache (Node 20 caches no ES module's compilation). Named by its content's hash: a cache is never read
 * against another build's script.
 */
const quick = await build({
  entryPoints: { 'why-quick': 'cli/why-quick.ts' },
  entryNames: '[name]-[hash]',
  ...commonJsForNode20,
  external: serverPackages,
  // host/version.ts finds the package from its own URL: a script's is its file's.
  define: { 'import.meta.url': '__netdiagScriptUrl' },
  // import() (node:https and node:crypto, for a TLS agent) as require: a script run through node:vm has no loader for
  // import(), and node 20 loses the main context's when the script is compiled from the cache.
  supported: { 'dynamic-import': false },
  banner: { js: "const __netdiagScriptUrl = require('node:url').pathToFileURL(__filename).href;" },
  plugins: [englishOnly],
  metafile: true,
  logLevel: 'warning',
});
const quickScript = basename(Object.keys(quick.metafile.outputs).find((f) => f.endsWith('.cjs')));

await build({
  // The agent's walker thread starts from a file of its own (dist/agent-walker.mjs), sharing chunks with the CLI.
  // So does the helper that starts programs for a collection (dist/exec-helper.mjs: host/exec-helper.ts).
  // netdiag-main.mjs: the CLI for the executable (dist/netdiag.cjs, launch.ts) to import when the quick path does not answer.
  entryPoints: { netdiag: 'cli/bin.ts', 'netdiag-main': 'cli/main.ts', 'agent-walker': 'agent/walker-thread.ts', 'exec-helper': 'host/exec-helper.ts' },
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outdir: 'dist',
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  external: serverPackages,
  banner: { js: "import { createRequire as __netdiagRequire } from 'node:module'; const require = __netdiagRequire(import.meta.url);" },
  plugins: [englishOnly, commanderLazyChildProcess],
  define: { __NETDIAG_WHY_QUICK__: JSON.stringify(quickScript) },
  logLevel: 'warning',
});
/** launch.ts's import of the CLI (./main.js) is the ES module entry beside it, for node to load: not bundled. */
const mainAsEsModule = {
  name: 'main-as-es-module',
  setup(b) {
    b.onResolve({ filter: /^\.\/main\.js$/ }, (args) => (args.importer.endsWith('/cli/launch.ts') ? { path: './netdiag-main.mjs', external: true } : undefined));
  },
};

/**
 * The executable (package.json's bin): CommonJS, since node starts an ES module entry through its module loader (~10 ms
 * of CPU). It answers the quick path itself and imports dist/netdiag-main.mjs for everything else.
 */
await build({
  entryPoints: { netdiag: 'cli/launch.ts' },
  plugins: [mainAsEsModule],
  ...commonJsForNode20,
  define: { __NETDIAG_WHY_QUICK__: JSON.stringify(quickScript) },
  logLevel: 'warning',
});
chmodSync('dist/netdiag.cjs', 0o755);
chmodSync('dist/netdiag.mjs', 0o755);
chmodSync('dist/cli/bin.js', 0o755);
