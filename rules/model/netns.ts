// Which network namespace a container's traffic uses: its own sandbox, the one it joined (--network container:X), or the host's.
import type { DockerContainer } from '../../snapshot/host-snapshot.js';
import type { ContainerModel } from './types.js';

/** The container whose namespace `c` lives in: X for `--network container:X`, else itself. */
export function netnsOwnerId(c: DockerContainer): string {
  return c.sharesNetnsWith ?? c.id;
}

/** Two containers on one host in one namespace answer at the same addresses: a reply to either reaches both. */
export function sameNetns(a: ContainerModel, b: ContainerModel): boolean {
  return a.host === b.host && a.netnsOwnerId === b.netnsOwnerId;
}
