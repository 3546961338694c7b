// Refresh on what changes reachability: Docker's network connect/disconnect and container start/die events.
import type { Readable } from 'node:stream';
import { loadDockerode } from '../host/dockerode-lean.js';

const FILTERS = { type: ['network' as const, 'container' as const], event: ['connect', 'disconnect', 'start', 'die', 'create', 'destroy'] };

/** Calls `onChange` (debounced) for each relevant event; reconnects when the daemon goes away. Returns a stop function. */
export function watchDockerEvents(onChange: () => void, log: (msg: string) => void, debounceMs = 300): () => void {
  let stopped = false;
  let stream: Readable | null = null;
  let debounce: NodeJS.Timeout | null = null;
  let retry: NodeJS.Timeout | null = null;
  const fire = () => {
    if (debounce) clearTimeout(debounce);
    debounce = setTimeout(onChange, debounceMs);
  };
  const connect = async () => {
    if (stopped) return;
    try {
      const docker = new (loadDockerode())();
      stream = (await docker.getEvents({ filters: FILTERS })) as unknown as Readable;
      stream.on('data', fire);
      const again = () => {
        stream = null;
        if (!stopped) retry = setTimeout(() => void connect(), 2000);
      };
      stream.on('end', again);
      stream.on('error', again);
      // Events may have been missed while disconnected: refresh once on (re)connect.
      fire();
    } catch (error) {
      log(`docker events unavailable (${(error as Error).message}); retrying`);
      retry = setTimeout(() => void connect(), 5000);
    }
  };
  void connect();
  return () => {
    stopped = true;
    if (debounce) clearTimeout(debounce);
    if (retry) clearTimeout(retry);
    stream?.destroy();
  };
}
