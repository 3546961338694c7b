// Docker Engine API access (honouring DOCKER_HOST), returning raw JSON for the docker collector to validate.
import type Dockerode from 'dockerode';
import { loadDockerode } from './dockerode-lean.js';
import { engineGet, plainEndpoint } from './engine-api.js';
import { withoutUserinfo } from '../snapshot/kept-fields.js';

/** A container's inspect JSON, validated later by the docker collector; the id is lifted for convenience. */
export interface InspectedContainer {
  id: string;
  raw: unknown;
}

/** The Engine API calls netdiag reads, as unvalidated JSON. Tests replay recorded responses through this. */
export interface DockerSource {
  /** Where the daemon is, for messages and the snapshot: the DOCKER_HOST value (without userinfo) or the default socket. */
  endpoint: string;
  version(): Promise<unknown>;
  info(): Promise<unknown>;
  listNetworks(): Promise<unknown>;
  listContainers(): Promise<unknown>;
  inspectContainer(id: string): Promise<unknown>;
  /** A network with what NetworkDB knows of it (peers, services and their tasks): swarm's overlays, read verbose. */
  inspectNetwork(id: string): Promise<unknown>;
  /** Swarm services (a manager's answer only: a worker is refused). */
  listServices(): Promise<unknown>;
}

export function dockerEndpoint(): string {
  return process.env.DOCKER_HOST && process.env.DOCKER_HOST.length > 0 ? process.env.DOCKER_HOST : 'unix:///var/run/docker.sock';
}

/**
 * The Engine API reads the collectors make. Over node:http when DOCKER_HOST is a unix socket or plain tcp (the common
 * case, and much cheaper to start); through dockerode, loaded on first use, for TLS and ssh:// daemons.
 */
export function dockerSource(timeoutMs: number): DockerSource {
  const raw = dockerEndpoint();
  const plain = plainEndpoint(raw);
  // Named in every message and in the snapshot: ssh://user@host or tcp://user:secret@host shown without its userinfo.
  const endpoint = withoutUserinfo(raw);
  if (plain) {
    const get = (path: string) => engineGet(plain, path, timeoutMs);
    return {
      endpoint,
      version: () => get('/version'),
      info: () => get('/info'),
      listNetworks: () => get('/networks'),
      listContainers: () => get('/containers/json?all=1'),
      inspectContainer: (id) => get(`/containers/${encodeURIComponent(id)}/json`),
      inspectNetwork: (id) => get(`/networks/${encodeURIComponent(id)}?verbose=true`),
      listServices: () => get('/services'),
    };
  }
  // Loaded on first use, lean (see dockerode-lean.ts), so commands that never ask Docker do not pay for it.
  let client: Promise<Dockerode> | undefined;
  const docker = () => (client ??= Promise.resolve().then(() => new (loadDockerode())({ timeout: timeoutMs })));
  return {
    endpoint,
    version: async () => (await docker()).version(),
    info: async () => (await docker()).info(),
    listNetworks: async () => (await docker()).listNetworks(),
    listContainers: async () => (await docker()).listContainers({ all: true }),
    inspectContainer: async (id) => (await docker()).getContainer(id).inspect(),
    inspectNetwork: async (id) => (await docker()).getNetwork(id).inspect({ verbose: true } as never),
    listServices: async () => (await docker()).listServices(),
  };
}

/** Turn a socket or HTTP failure into one line and what to do about it. */
export function describeDockerError(error: unknown, endpoint: string): { message: string; hint: string; notFound: boolean } {
  const e = error as { code?: string; statusCode?: number; message?: string; json?: { message?: string } };
  const detail = e.json?.message ?? e.message ?? String(error);
  switch (e.code) {
    case 'ENOENT':
      return { message: `Docker is not running or not installed: no socket at ${endpoint}`, hint: 'start dockerd, or set DOCKER_HOST to the daemon\'s socket', notFound: true };
    case 'ECONNREFUSED':
      return { message: `Docker daemon at ${endpoint} refused the connection`, hint: 'start dockerd (systemctl start docker), or set DOCKER_HOST', notFound: false };
    case 'EACCES':
    case 'EPERM':
      return { message: `permission denied on the Docker socket ${endpoint}`, hint: 'run netdiag as root or as a member of the docker group', notFound: false };
    case 'ETIMEDOUT':
    case 'ESOCKETTIMEDOUT':
      return { message: `Docker daemon at ${endpoint} did not answer in time`, hint: 'check that dockerd is healthy (docker info)', notFound: false };
  }
  if (/timeout/i.test(detail)) return { message: `Docker daemon at ${endpoint} did not answer in time`, hint: 'check that dockerd is healthy (docker info)', notFound: false };
  if (e.statusCode === 404) return { message: `Docker API: ${detail}`, hint: 'the object disappeared while netdiag read it; collect again', notFound: false };
  return { message: `Docker API error: ${detail}`, hint: `check the daemon at ${endpoint} (docker info)`, notFound: false };
}
