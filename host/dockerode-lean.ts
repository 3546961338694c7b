// Loads dockerode without the modules netdiag never uses: grpc (BuildKit sessions) and ssh2 (ssh:// hosts).
import { createRequire, Module } from 'node:module';
import type Dockerode from 'dockerode';

/**
 * dockerode requires @grpc/grpc-js and @grpc/proto-loader at load time for image builds with BuildKit sessions, and
 * docker-modem requires ssh2 for ssh:// hosts: about 190 of dockerode's 250 ms load time (measured), paid by every
 * netdiag command. netdiag only reads the Engine API and connects networks, so those modules are pre-seeded in
 * require's cache with stand-ins that fail loudly if anything ever calls them. An ssh:// DOCKER_HOST keeps real ssh2.
 */
export function loadDockerode(): typeof Dockerode {
  const require = createRequire(import.meta.url);
  const dockerodePath = require.resolve('dockerode');
  const fromDockerode = createRequire(dockerodePath);
  const modemRequire = createRequire(fromDockerode.resolve('docker-modem'));
  const unused: [NodeJS.Require, string][] = [
    [fromDockerode, '@grpc/grpc-js'],
    [fromDockerode, '@grpc/proto-loader'],
  ];
  if (!(process.env.DOCKER_HOST ?? '').startsWith('ssh://')) unused.push([modemRequire, 'ssh2']);
  for (const [req, id] of unused) {
    const path = req.resolve(id);
    if (require.cache[path]) continue;
    const standIn = new Module(path);
    standIn.loaded = true;
    standIn.exports = new Proxy(
      {},
      {
        get: (_t, prop) =>
          prop === '__esModule'
            ? false
            : () => {
                throw new Error(`netdiag does not load ${id} (needed for ${String(prop)}); this Docker feature is not used by netdiag`);
              },
      },
    );
    require.cache[path] = standIn;
  }
  return require('dockerode') as typeof Dockerode;
}
