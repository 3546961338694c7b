// A --snapshot file read and checked against the schema: its own module, so that what reads a token or a certificate
// (files.ts, on every agent call) does not build the snapshot's schema.
import { parseJson, readUserFile } from './files.js';
import { UsageError } from './io.js';
import { shown, shownPath } from './text.js';
import { parseOwnedSnapshot, SNAPSHOT_SCHEMA, SnapshotFormatError } from '../snapshot/host-snapshot.js';
import type { HostSnapshot } from '../snapshot/host-snapshot.js';
import { NETDIAG_VERSION } from '../host/version.js';

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
