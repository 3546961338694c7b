// Reading and writing the user's files with one-line errors (snapshots, inventories, plans, tokens, --out targets):
// only regular files, a size cap, UTF-8 with or without a BOM, and names shown safely.
import { open, rename, stat, writeFile, unlink } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { UsageError } from './io.js';
import { shown, shownPath } from './text.js';
import { parseOwnedSnapshot, SNAPSHOT_SCHEMA, SnapshotFormatError } from '../snapshot/host-snapshot.js';
import type { HostSnapshot } from '../snapshot/host-snapshot.js';
import { NETDIAG_VERSION } from '../host/version.js';

/** Larger than any real snapshot (1,000 containers make a few MB), smaller than a string V8 can hold. */
export const MAX_FILE_BYTES = 256 * 1024 * 1024;

function fsMessage(error: unknown, file: string, verb: string): UsageError {
  const code = (error as NodeJS.ErrnoException).code;
  const name = shownPath(file);
  switch (code) {
    case 'ENOENT':
      return new UsageError(`cannot ${verb} ${name}: no such file or directory`);
    case 'EACCES':
    case 'EPERM':
      return new UsageError(`cannot ${verb} ${name}: permission denied`);
    case 'EISDIR':
      return new UsageError(`cannot ${verb} ${name}: it is a directory`);
    case 'ELOOP':
      return new UsageError(`cannot ${verb} ${name}: too many levels of symbolic links (a symlink loop)`);
    case 'ENOTDIR':
      return new UsageError(`cannot ${verb} ${name}: a part of the path is not a directory`);
    case 'ENAMETOOLONG':
      return new UsageError(`cannot ${verb} ${name}: the file name is too long`);
    default:
      return new UsageError(`cannot ${verb} ${name}: ${code ?? (error as Error).message}`);
  }
}

const KIND: [keyof import('node:fs').Stats, string][] = [
  ['isDirectory', 'a directory'],
  ['isFIFO', 'a FIFO (named pipe)'],
  ['isCharacterDevice', 'a character device'],
  ['isBlockDevice', 'a block device'],
  ['isSocket', 'a socket'],
];

/**
 * A file the user named, as text. Only a regular file is read (a FIFO with no writer would hang, /dev/zero never
 * ends); a UTF-8 BOM is dropped; UTF-16 is named, not misread as "not JSON".
 */
export async function readUserFile(file: string, what: string, option: string): Promise<string> {
  if (file === '') throw new UsageError(`${option} needs a file name`);
  let st;
  try {
    st = await stat(file);
  } catch (error) {
    throw fsMessage(error, file, `read the ${what}`);
  }
  if (!st.isFile()) {
    const kind = KIND.find(([test]) => (st[test] as () => boolean).call(st))?.[1] ?? 'not a regular file';
    throw new UsageError(`cannot read the ${what} ${shownPath(file)}: it is ${kind}, not a regular file`);
  }
  if (st.size > MAX_FILE_BYTES) throw new UsageError(`the ${what} ${shownPath(file)} is ${Math.round(st.size / 2 ** 20)} MiB, more than netdiag reads (${MAX_FILE_BYTES / 2 ** 20} MiB)`, `is it really a ${what}?`);
  let bytes: Buffer;
  try {
    // Read at most the cap, even if the file grew after stat.
    const fh = await open(file, 'r');
    try {
      const buf = Buffer.alloc(Math.min(st.size, MAX_FILE_BYTES) + 1);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      if (bytesRead > MAX_FILE_BYTES) throw new UsageError(`the ${what} ${shownPath(file)} is larger than netdiag reads (${MAX_FILE_BYTES / 2 ** 20} MiB)`);
      bytes = buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw fsMessage(error, file, `read the ${what}`);
  }
  return decodeText(bytes, `the ${what} ${shownPath(file)}`);
}

/** UTF-8, with its BOM dropped; UTF-16 (BOM, or the NULs of ASCII written as UTF-16) is named, with what to do. */
export function decodeText(bytes: Buffer, subject: string): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return bytes.subarray(3).toString('utf8');
  const le = (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes.length >= 4 && bytes[1] === 0 && bytes[3] === 0 && bytes[0] !== 0);
  const be = (bytes[0] === 0xfe && bytes[1] === 0xff) || (bytes.length >= 4 && bytes[0] === 0 && bytes[2] === 0 && bytes[1] !== 0);
  if (le || be) throw new UsageError(`${subject} is UTF-16 (${le ? 'little' : 'big'}-endian) text; netdiag reads UTF-8`, `convert it: iconv -f UTF-16 -t UTF-8 < FILE > FILE.utf8`);
  return bytes.toString('utf8');
}

/** JSON.parse with the position said as a line and column. */
export function parseJson(text: string, subject: string, hint: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const m = /position (\d+)/.exec((error as Error).message);
    const at = m ? Number(m[1]) : null;
    const cut = /end of JSON input/.test((error as Error).message);
    const where = cut ? ' (it ends in the middle: cut short?)' : at === null ? '' : (() => {
      const before = text.slice(0, at);
      const line = before.split('\n').length;
      return ` (line ${line}, column ${at - before.lastIndexOf('\n')})`;
    })();
    throw new UsageError(`${subject} is not JSON${text.trim() === '' ? ' (it is empty)' : where}`, hint);
  }
}

/** Write via a temporary file and rename, so a reader never sees half a file. */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  if (file === '') throw new UsageError('--out needs a file name');
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
  const hint = 'give a file written by `netdiag snapshot`';
  const json = parseJson(await readUserFile(file, 'snapshot', '--snapshot'), `the snapshot ${shownPath(file)}`, hint);
  const schema = (json as { schema?: unknown } | null)?.schema;
  if (typeof schema === 'string' && schema !== SNAPSHOT_SCHEMA) {
    if (schema.startsWith('netdiag/snapshot@')) {
      const by = (json as { netdiagVersion?: unknown }).netdiagVersion;
      throw new UsageError(`${shownPath(file)} is a ${shown(schema)} snapshot${typeof by === 'string' ? ` (from netdiag ${shown(by)})` : ''}; this netdiag (${NETDIAG_VERSION}) reads ${SNAPSHOT_SCHEMA}`, 'use the netdiag that collected it, or collect the host again with this one');
    }
    throw new UsageError(`${shownPath(file)} is not a snapshot: its schema is ${shown(schema)}`, hint);
  }
  try {
    return parseOwnedSnapshot(json);
  } catch (error) {
    if (error instanceof SnapshotFormatError) throw new UsageError(`${shownPath(file)} is ${error.message}`, hint);
    throw error;
  }
}
