// The Engine API's read calls over node:http, on the daemon's unix socket or plain tcp:// — what every command that
// collects pays for. Loading dockerode costs a `why` about as much as collecting the two containers it asks about;
// dockerode stays for what changes a host (network connect and disconnect) and for TLS and ssh:// daemons.
import http from 'node:http';
import net from 'node:net';

/** Where DOCKER_HOST points, when this reader can speak to it (unix socket or plain tcp); null otherwise. */
export function plainEndpoint(endpoint: string): { socketPath: string } | { host: string; port: number } | null {
  if (endpoint.startsWith('unix://')) return { socketPath: endpoint.slice('unix://'.length) };
  const tcp = /^tcp:\/\/([^:/]+|\[[^\]]+\]):(\d+)\/?$/.exec(endpoint);
  // TLS is asked for through DOCKER_TLS_VERIFY / DOCKER_CERT_PATH: left to dockerode, which reads them.
  if (tcp && !process.env.DOCKER_TLS_VERIFY && !process.env.DOCKER_CERT_PATH) return { host: (tcp[1] as string).replace(/^\[|\]$/g, ''), port: Number(tcp[2]) };
  return null;
}

/** An error shaped as dockerode's: a code for socket failures, statusCode and json for HTTP ones. */
class EngineError extends Error {
  constructor(
    message: string,
    readonly statusCode?: number,
    readonly json?: { message?: string },
    readonly code?: string,
  ) {
    super(message);
  }
}

/** GET one Engine API path and parse its JSON. */
export function engineGet(target: { socketPath: string } | { host: string; port: number }, path: string, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    // On the socket, a connection of its own and no agent: the agent's TLS server-name check on "localhost" compiles
    // node's IPv6 regular expression, 5 ms of every `why`.
    const where = 'socketPath' in target ? { createConnection: () => net.connect(target.socketPath) } : target;
    const req = http.request({ ...where, path, method: 'GET', headers: { host: 'docker' }, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          return reject(new EngineError(`${path}: the daemon answered ${res.statusCode} with something that is not JSON`, res.statusCode));
        }
        if ((res.statusCode ?? 500) >= 400) return reject(new EngineError((json as { message?: string })?.message ?? `HTTP ${res.statusCode}`, res.statusCode, json as { message?: string }));
        resolve(json);
      });
    });
    req.on('timeout', () => req.destroy(new EngineError(`${path}: timeout`, undefined, undefined, 'ETIMEDOUT')));
    req.on('error', reject);
    req.end();
  });
}
