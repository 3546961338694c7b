// The floor under `netdiag snapshot`: the same raw reads it makes (the Docker API calls, every command with the same
// input, every /proc file and directory), replayed from a --record of it, all at once with the same bounds — and
// nothing else (no parsing, no model). Run as a process of its own, as netdiag is, inside the lab host's namespace.
import { readFileSync } from 'node:fs';
import { mapLimit } from '../collectors/collector.js';
import { SANDBOX_BATCH } from '../collectors/first-reads.js';
import { Recording } from '../collectors/recording.js';
import { dockerSource } from '../host/docker.js';
import { runCommand } from '../host/exec.js';
import { listDir, readLink, readSmallFile } from '../host/os.js';

const rec = Recording.parse(JSON.parse(readFileSync(process.argv[2] as string, 'utf8')));
const docker = dockerSource(10_000);
const commands = Object.keys(rec.commands).map((k) => k.split(' '));
const [inside, outside] = [commands.filter((c) => c[0] === 'nsenter'), commands.filter((c) => c[0] !== 'nsenter')];
// Each command must end as it did when recorded: a floor made of failures would be no floor at all.
const run = async (c: string[]) => {
  const r = await runCommand(c[0] as string, c.slice(1), { timeoutMs: 10_000, ...(c.at(-1) === '-' ? { input: SANDBOX_BATCH } : {}) });
  if (r.exitCode !== rec.commands[c.join(' ')]?.exitCode) throw new Error(`${c.join(' ')} exited ${r.exitCode}: ${r.stderr.slice(0, 200)}`);
};
await Promise.all([
  // Docker first: netdiag cannot enter a namespace before the API has said where it is.
  (async () => {
    await Promise.all([docker.version(), docker.info(), docker.listNetworks(), docker.listContainers()]);
    const ids = Object.keys(rec.docker).filter((k) => k.startsWith('inspectContainer ')).map((k) => k.split(' ')[1] as string);
    await Promise.all(ids.map((id) => docker.inspectContainer(id)));
    await mapLimit(inside, 64, run);
  })(),
  Promise.all(outside.map(run)),
  Promise.all(Object.keys(rec.files).map((p) => readSmallFile(p))),
  Promise.all(Object.keys(rec.dirs).map((p) => listDir(p))),
  Promise.all(Object.keys(rec.links).map((p) => readLink(p))),
]);
