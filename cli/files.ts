// Reading and writing the user's files with one-line errors (snapshots, plans, --out targets).
import { readFile, rename, writeFile, unlink } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { UsageError } from './io.js';
import { parseSnapshot, SnapshotFormatError } from '../snapshot/host-snapshot.js';
import type { HostSnapshot } from '../snapshot/host-snapshot.js';

function fsMessage(error: unknown, file: string, verb: string): UsageError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new UsageError(`cannot ${verb} ${file}: no such file or directory`);
  if (code === 'EACCES' || code === 'EPERM') return new UsageError(`cannot ${verb} ${file}: permission denied`);
  if (code === 'EISDIR') return new UsageError(`cannot ${verb} ${file}: it is a directory`);
  return new UsageError(`cannot ${verb} ${file}: ${(error as Error).message}`);
}

/** Write via a temporary file and rename, so a reader never sees half a file. */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    await writeFile(tmp, content, { mode: 0o644 });
    await rename(tmp, file);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw fsMessage(error, file, 'write');
  }
}

export async function readSnapshotFile(file: string): Promise<HostSnapshot> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw fsMessage(error, file, 'read');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError(`${file} is not JSON`, 'give a file written by `netdiag snapshot`');
  }
  try {
    return parseSnapshot(json);
  } catch (error) {
    if (error instanceof SnapshotFormatError) throw new UsageError(`${file} is ${error.message}`, 'give a file written by `netdiag snapshot`');
    throw error;
  }
}
