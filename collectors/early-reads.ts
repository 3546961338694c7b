// A whole-host collection's first reads, started before the collectors, zod and the schemas load (~50 ms at 10
// containers): Docker's chain of reads, the host's own programs on the other core while this process is still small to
// fork from, and on a small host each container's namespace reads as soon as Docker says where it is; on a big one the
// helper that forks them starts as soon as Docker's list answers. collectSnapshot takes what this returns.
import { earlyDockerSource } from '../host/early-docker.js';
import { earlyExec } from '../host/early-exec.js';
import type { EarlyExec } from '../host/early-exec.js';
import { forkingRunner } from '../host/exec.js';
import type { ForkingRunner } from '../host/exec.js';
import type { DockerSource } from '../host/docker.js';
import { HELPER_FROM_CONTAINERS, HOST_READS, namespaceReads, ownNamespace, programTimeoutMs } from './first-reads.js';
import type { NamespaceFacts } from './first-reads.js';

export interface EarlyReads {
  context: { docker: DockerSource };
  early: EarlyExec['take'];
  forking: ForkingRunner;
}

export function startEarlyReads(timeoutMs: number): EarlyReads {
  const programs = earlyExec(programTimeoutMs(timeoutMs));
  programs.start(HOST_READS);
  const forking = forkingRunner();
  let small = false;
  const docker = earlyDockerSource(programTimeoutMs(timeoutMs), undefined, {
    list: (list) => (list.length >= HELPER_FROM_CONTAINERS ? forking.start() : void (small = true)),
    inspected: (inspect) => {
      const ns = small && inspect && typeof inspect === 'object' ? ownNamespace(inspect as NamespaceFacts) : null;
      if (ns) programs.start(namespaceReads(ns));
    },
  });
  return { context: { docker }, early: programs.take, forking };
}
