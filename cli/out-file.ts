// What an --out file's extension says about its format: a file named x.png is opened as a PNG, so netdiag never writes
// SVG (or JSON) into one; the extension picks the format when --format is not given, and must agree when it is.
import { basename, extname } from 'node:path';
import { UsageError } from './io.js';
import { shownPath } from './text.js';

/**
 * Every extension of a format netdiag writes, so a map's .svg is refused for a snapshot and a snapshot's .json too;
 * a command picks its own formats' entries from here, so a file is named alike whichever command writes it.
 */
export const NETDIAG_WRITES: Readonly<Record<'json' | 'svg' | 'dot' | 'mermaid' | 'html', readonly string[]>> = { json: ['.json'], svg: ['.svg'], dot: ['.dot', '.gv'], mermaid: ['.mmd', '.mermaid'], html: ['.html', '.htm'] };

/**
 * Extensions of formats netdiag does not write but a user may reach for (an image of the map, a document, the
 * inventory's YAML, an archive): a file named so would be opened as that and found broken. An extension in neither
 * list (host.snap, graph.txt) says nothing about the format and is taken as given.
 */
const OTHER_FORMATS = ['.png', '.jpg', '.jpeg', '.gif', '.webp', '.bmp', '.tif', '.tiff', '.pdf', '.ps', '.eps', '.yaml', '.yml', '.xml', '.csv', '.md', '.gz', '.tgz', '.zip'];

const listed = (formats: Record<string, readonly string[]>) => Object.entries(formats).map(([f, exts]) => `${f} (${exts.join(', ')})`).join(', ');

/**
 * The format to write `out` in: `format` when given (refused if the file's extension names another format), else the
 * format its extension names, else `fallback` when it has none. `formats` are this command's formats and their extensions.
 */
export function formatForOut(out: string | undefined, format: string | undefined, formats: Record<string, readonly string[]>, fallback: string): string {
  const ext = out === undefined ? '' : extname(out).toLowerCase();
  if (ext === '') return format ?? fallback;
  const named = Object.entries(formats).find(([, exts]) => exts.includes(ext))?.[0];
  const elsewhere = !named && (OTHER_FORMATS.includes(ext) || Object.values(NETDIAG_WRITES).some((exts) => exts.includes(ext)));
  const file = shownPath(out as string);
  if (format !== undefined) {
    if (named !== undefined && named !== format) throw new UsageError(`--out ${file}: its extension says ${named}, but this writes ${format}`, `name it ${renamed(out as string, formats[format]?.[0])}, or give --format ${named}`);
    if (elsewhere) throw new UsageError(`--out ${file}: its extension says ${ext.slice(1)}, but this writes ${format}`, `name it ${renamed(out as string, formats[format]?.[0])}`);
    return format;
  }
  if (named !== undefined) return named;
  throw new UsageError(`--out ${file}: ${ext.slice(1)} is not a format netdiag writes here`, `it writes ${listed(formats)}; name the file so, or give --format`);
}

function renamed(out: string, ext: string | undefined): string {
  const base = basename(out);
  return shownPath(ext ? `${base.slice(0, base.length - extname(base).length)}${ext}` : base);
}

/** A file that always holds JSON (a snapshot, a plan, a recording): a .json name or one that names no other format. */
export function checkJsonOut(out: string | undefined): void {
  formatForOut(out, 'json', { json: NETDIAG_WRITES.json }, 'json');
}
