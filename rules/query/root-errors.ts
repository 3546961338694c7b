// A snapshot's collection errors without the ones that only repeat another: with Docker not running, the links and
// routes collectors cannot list containers and the sockets and dns collectors read none — each says so in its own entry, and
// an operator needs to read it once.
import type { CollectionError, HostSnapshot } from '../../snapshot/host-snapshot.js';

/** Whether Docker is not there at all (not running, not installed): the docker collector found no daemon. */
export function dockerAbsent(s: HostSnapshot): boolean {
  return s.docker === null && s.collectors.docker?.status === 'absent';
}

/**
 * An error that follows from Docker's absence: the containers' part of links and routes, and the containers' sockets
 * and resolvers (the dns collector starts from Docker's list of containers).
 */
function followsFromDocker(e: CollectionError): boolean {
  return e.collector === 'sockets' || e.collector === 'dns' || ((e.collector === 'links' || e.collector === 'routes') && e.subject === 'containers');
}

/** The errors worth reading: all of them, unless Docker is absent, then without those that only follow from it. */
export function rootErrors(s: HostSnapshot): CollectionError[] {
  return dockerAbsent(s) ? s.errors.filter((e) => !followsFromDocker(e)) : s.errors;
}
