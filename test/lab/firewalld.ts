// firewalld inside a lab host (LAB.md): a system D-Bus the lab starts and stops, and firewalld in the host's namespace.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { must, until } from './lab.js';
import type { LabHost } from './lab.js';

const SOCKET = '/run/dbus/system_bus_socket';
const PIDFILE = '/run/dbus/pid';
/** Docker's firewalld integration writes its "docker" zone into firewalld's permanent configuration: the machine's. */
const DOCKER_ZONE = '/etc/firewalld/zones/docker.xml';

/** The system bus firewalld serves on; stop() ends it by its pid (only ours, never one that was already there). */
export async function systemBus(): Promise<{ stop(): void }> {
  // A bus an earlier run left behind (killed, its socket and pid file stay) is cleared; a live one is not ours to use.
  const old = existsSync(PIDFILE) ? Number(readFileSync(PIDFILE, 'utf8').trim()) || 0 : 0;
  if (old > 0 && existsSync(`/proc/${old}`)) throw new Error(`a system bus (pid ${old}) already runs: the lab starts its own and will not share one`);
  rmSync(SOCKET, { force: true });
  rmSync(PIDFILE, { force: true });
  await must('mkdir', ['-p', '/run/dbus']);
  const pid = Number((await must('dbus-daemon', ['--system', '--fork', '--print-pid'])).trim());
  await until('the system bus', async () => (existsSync(SOCKET) ? true : null), 10_000);
  return {
    stop() {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* gone */
      }
      rmSync(SOCKET, { force: true });
      rmSync(PIDFILE, { force: true });
    },
  };
}

/** firewalld in `h`'s namespace, running once `firewall-cmd --state` says so; stop() ends it and the zone Docker added. */
export async function startFirewalld(h: LabHost): Promise<{ stop(): Promise<void> }> {
  const zoneBefore = existsSync(DOCKER_ZONE);
  const child = spawn('nsenter', [`--net=/run/netns/${h.netns}`, 'firewalld', '--nofork', '--nopid'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  h.daemons.push(() => child.kill('SIGKILL'));
  await until('firewalld to run', async () => ((await h.exec('firewall-cmd', ['--state'])).stdout.trim() === 'running' ? true : null), 60_000);
  return {
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      if (!zoneBefore) rmSync(DOCKER_ZONE, { force: true });
    },
  };
}
