// The CLI's bundle: esbuild with code splitting (each command loads only what it uses), dependencies made for a
// server (fastify, prom-client, dockerode, yaml, Graphviz, bcryptjs) left to node_modules and loaded when a command needs them.
import { chmodSync, rmSync } from 'node:fs';
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

rmSync('dist/chunks', { recursive: true, force: true });
await build({
  // The agent's walker thread starts from a file of its own (dist/agent-walker.mjs), sharing chunks with the CLI.
  // So does the helper that starts programs for a collection (dist/exec-helper.mjs: host/exec-helper.ts).
  entryPoints: { netdiag: 'cli/bin.ts', 'agent-walker': 'agent/walker-thread.ts', 'exec-helper': 'host/exec-helper.ts' },
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outdir: 'dist',
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  external: ['dockerode', 'fastify', 'prom-client', 'yaml', '@viz-js/viz', 'bcryptjs'],
  banner: { js: "import { createRequire as __netdiagRequire } from 'node:module'; const require = __netdiagRequire(import.meta.url);" },
  plugins: [englishOnly],
  logLevel: 'warning',
});
chmodSync('dist/netdiag.mjs', 0o755);
chmodSync('dist/cli/bin.js', 0o755);
