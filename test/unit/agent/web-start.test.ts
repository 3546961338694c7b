// Issue 27 at the command line: --web-config, --insecure-http and --public-metrics on `netdiag agent` (live and
// --snapshot). Bad web configs and clear text beyond loopback are one line and exit 2; a started agent says whether
// it speaks HTTPS and how reads are authenticated.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import type { Io } from '../../../cli/io.js';
import { REPO } from '../fixtures.js';
import type { TlsSet } from '../../tls-certs.js';
import { tlsConfigDir, writeWebConfig } from './web-agent.js';

const CLI = join(REPO, 'dist/netdiag.mjs');
const SEED = join(REPO, 'examples/seed-host.json');

function captureIo(): Io & { out: string; err: string } {
  const io = { out: '', err: '', isTTY: false, env: { NETDIAG_STATE_DIR: mkdtempSync(join(tmpdir(), 'netdiag-state-')) } as NodeJS.ProcessEnv, stdout: (t: string) => void (io.out += t), stderr: (t: string) => void (io.err += t) };
  return io;
}

async function refused(argv: string[]): Promise<string> {
  const io = captureIo();
  expect(await main(argv, io)).toBe(2);
  expect(io.out).toBe('');
  expect(io.err).not.toMatch(/^\s+at /m);
  expect(io.err.split('\n')).toHaveLength(2);
  return io.err;
}

let s: TlsSet;
let dir: string;
beforeAll(async () => {
  ({ s, dir } = await tlsConfigDir());
});

describe('refused at start: one line, exit 2', () => {
  it('a bad web config names the file and the key, live and --snapshot', async () => {
    const file = writeWebConfig('tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: Always\n', dir);
    const expected = `netdiag: web config ${file}: tls_server_config.client_auth_type: unknown client_auth_type (one of NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert)\n`;
    expect(await refused(['agent', '--listen', '127.0.0.1:0', '--web-config', file])).toBe(expected);
    expect(await refused(['agent', '--snapshot', SEED, '--listen', '127.0.0.1:0', '--web-config', file])).toBe(expected);
  });

  it('plain HTTP beyond loopback without --insecure-http (the old rule asked for a token; a token does not make clear text safe)', async () => {
    expect(await refused(['agent', '--listen', '0.0.0.0:0'])).toBe("netdiag: refusing to serve plain HTTP on 0.0.0.0: anyone on the network could read this host's snapshot (give --web-config with a tls_server_config, or --insecure-http to accept that, or listen on 127.0.0.1)\n");
    expect(await refused(['agent', '--snapshot', SEED, '--listen', '0.0.0.0:0'])).toMatch(/^netdiag: refusing to serve plain HTTP on 0\.0\.0\.0/);
    // A web config without TLS (users only) is still clear text.
    expect(await refused(['agent', '--listen', '0.0.0.0:0', '--web-config', writeWebConfig(`basic_auth_users:\n  a: ${bcrypt.hashSync('x', 4)}\n`)])).toMatch(/^netdiag: refusing to serve plain HTTP on 0\.0\.0\.0/);
  });

  it('--public-metrics without a web config promises nothing', async () => {
    expect(await refused(['agent', '--listen', '127.0.0.1:0', '--public-metrics'])).toBe('netdiag: --public-metrics goes with --web-config (without one, every read is open already)\n');
  });

  it('--insecure-http with a TLS web config contradicts it', async () => {
    const file = writeWebConfig('tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n', dir);
    expect(await refused(['agent', '--listen', '127.0.0.1:0', '--web-config', file, '--insecure-http'])).toBe(`netdiag: --insecure-http contradicts the web config ${file}, whose tls_server_config makes the agent speak HTTPS (drop --insecure-http)\n`);
  });
});

/** The built agent until its startup line; then `check`, SIGTERM, exit 0. */
async function started(args: string[], check: (port: number, stderr: string) => Promise<void>): Promise<string> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: '/nonexistent', DOCKER_HOST: 'unix:///nonexistent/docker.sock', NETDIAG_STATE_DIR: mkdtempSync(join(tmpdir(), 'netdiag-state-')) } });
  let stderr = '';
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the agent did not start: ${stderr}`)), 20_000);
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /(?:listening on |read-only on https?:\/\/)(?:0\.0\.0\.0|127\.0\.0\.1):(\d+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });
  try {
    await check(port, stderr);
  } finally {
    child.kill('SIGTERM');
  }
  expect(await closed).toBe(0);
  return stderr;
}

const httpsStatus = (port: number, path: string, o: { cert?: boolean; auth?: string } = {}) =>
  new Promise<number>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, servername: 'localhost', ca: readFileSync(s.caCert), ...(o.cert ? { cert: readFileSync(s.clientCert), key: readFileSync(s.clientKey) } : {}), headers: o.auth ? { authorization: o.auth } : {}, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });

describe('started from the built binary', () => {
  it('--insecure-http beyond loopback: one stderr line says what goes in clear text', async () => {
    const stderr = await started(['agent', '--listen', '0.0.0.0:0', '--insecure-http', '--refresh', '1m'], async (port) => {
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    });
    expect(stderr).toMatch(/^netdiag agent: --insecure-http: every read route \(\/v1\/\*, \/ui, \/metrics\) goes in clear text to anyone on the network who reaches 0\.0\.0\.0$/m);
    expect(stderr).toMatch(/^netdiag agent: host \S+, listening on 0\.0\.0\.0:\d+ \(http; reads open\), read-only \(no --token-file\)$/m);
  }, 30_000);

  it('TLS with a required client certificate and basic auth: the startup line says so, and reads need both', async () => {
    const file = writeWebConfig(`tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\nbasic_auth_users:\n  prometheus: ${bcrypt.hashSync('scrape', 4)}\n`, dir);
    const stderr = await started(['agent', '--listen', '0.0.0.0:0', '--web-config', file, '--public-metrics', '--refresh', '1m'], async (port) => {
      await expect(httpsStatus(port, '/healthz')).rejects.toThrow();
      expect(await httpsStatus(port, '/healthz', { cert: true })).toBe(401);
      expect(await httpsStatus(port, '/metrics', { cert: true })).toBe(200);
      expect(await httpsStatus(port, '/healthz', { cert: true, auth: `Basic ${Buffer.from('prometheus:scrape').toString('base64')}` })).toBe(200);
    });
    expect(stderr).toMatch(/^netdiag agent: host \S+, listening on 0\.0\.0\.0:\d+ \(https, client certificate required and verified; reads need Basic credentials \(1 user\), \/metrics open \(--public-metrics\)\), read-only \(no --token-file\)$/m);
    expect(stderr).not.toMatch(/insecure|clear text/);
  }, 30_000);

  it('agent --snapshot --web-config serves the saved snapshot over HTTPS', async () => {
    const file = writeWebConfig('tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n', dir);
    const stderr = await started(['agent', '--snapshot', SEED, '--listen', '127.0.0.1:0', '--web-config', file], async (port) => {
      expect(await httpsStatus(port, '/v1/status')).toBe(200);
    });
    expect(stderr).toMatch(/read-only on https:\/\/127\.0\.0\.1:\d+\/ui \(https, no client certificate asked for; reads open\)$/m);
  }, 30_000);
});
