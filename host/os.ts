// What the OS says about this host: identity and interface addresses (node:os asks the kernel, in netdiag's own
// network namespace), and small files and directories under /proc — each read answering null when absent.
//
// /proc is memory, not disk: those reads are synchronous. A promise read is open, stat, read and close through the
// thread pool, ~150 µs of main-thread work each; a `why` reads some sixty sysctls (9-13 ms, against 1 ms in sync).
// The exception is a namespace's socket tables, which cost the kernel milliseconds each (see readSmallFile).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { arch, hostname, networkInterfaces, release } from 'node:os';

/** What the host collector asks the OS; tests replay recorded answers. */
export interface HostSource {
  identity(): Promise<{ hostname: string; kernel: string; arch: string }>;
  /** Addresses per interface, as getifaddrs reports them. */
  addresses(): Promise<{ iface: string; family: 'inet' | 'inet6'; ip: string; netmask: string; mac: string }[]>;
}

/**
 * node:os rather than systeminformation: si.osInfo() runs shell strings through execSync (`hostname -f`,
 * `echo $LANG`, `uname -v`), blocking the event loop, and si.networkInterfaces() reads /sys/class/net, which shows
 * the mount namespace's devices, not the network namespace's. getifaddrs asks the kernel over netlink, so the
 * addresses belong to the namespace netdiag runs in.
 */
export const osSource: HostSource = {
  identity: async () => ({ hostname: hostname(), kernel: release(), arch: arch() }),
  addresses: async () =>
    Object.entries(networkInterfaces()).flatMap(([iface, addrs]) =>
      (addrs ?? []).map((a) => ({ iface, family: a.family === 'IPv4' ? ('inet' as const) : ('inet6' as const), ip: a.address, netmask: a.netmask, mac: a.mac })),
    ),
};

/**
 * A process's view of its network namespace's socket tables (/proc/PID/net/tcp, tcp6 …): to print a namespace's few
 * sockets the kernel walks the whole host's TCP hash table, 2–5 ms a file on a host with memory to spare — 350 ms of a
 * snapshot at 50 containers, two tables each. Read through the thread pool: the walks run beside everything else
 * instead of stopping the event loop that hands out every other read.
 */
const WALKED_BY_THE_KERNEL = /^\/proc\/\d+\/net\//;

/**
 * The kernel prints a /proc seq_file a page at a time: each read() fills the caller's buffer until the records end or
 * its page-sized buffer is full, so a read well short of a page is the whole file. readFile would read once more to
 * see the end, and for a socket table that read walks the host's TCP hash table again: measured interleaved on the
 * bench machine, /proc/self/net/tcp read once 2.6 ms, read to the end 7.2 ms (median of 200).
 */
const SURELY_THE_END = 2048;

/** A table walked by the kernel: one read when it ends short of a page (a namespace's few sockets), else to the end. */
export async function readWalkedTable(path: string): Promise<string> {
  const f = await open(path, 'r');
  try {
    const chunks: Buffer[] = [];
    for (;;) {
      const { bytesRead, buffer } = await f.read({ buffer: Buffer.allocUnsafe(64 * 1024) });
      if (bytesRead === 0) break;
      chunks.push(buffer.subarray(0, bytesRead));
      if (chunks.length === 1 && bytesRead < SURELY_THE_END) break;
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    await f.close();
  }
}

/** A small file (a /proc value); null when it does not exist. */
export async function readSmallFile(path: string): Promise<string | null> {
  if (WALKED_BY_THE_KERNEL.test(path)) {
    try {
      return await readWalkedTable(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** A directory's entries; null when it does not exist. */
export async function listDir(path: string): Promise<string[] | null> {
  try {
    return readdirSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Where a symbolic link points (a process's file descriptor: socket:[inode]); null when it is gone or unreadable. */
export async function readLink(path: string): Promise<string | null> {
  try {
    return readlinkSync(path);
  } catch {
    return null;
  }
}
