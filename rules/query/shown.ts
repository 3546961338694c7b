// How a value someone typed or a snapshot holds is quoted in a message: JSON-escaped (no raw newline or escape
// sequence reaches a terminal) and cut to a length a message can carry. Paths and URLs stay bare when they are plain.
const PLAIN = /^[\w./:@%+,=~-]+$/;

export function shown(value: string, opts: { max?: number; bare?: boolean } = {}): string {
  const max = opts.max ?? 120;
  if (opts.bare && value.length <= max && PLAIN.test(value)) return value;
  return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
}

/** A file name or URL: bare when plain, quoted and escaped when not. */
export const shownPath = (value: string) => shown(value, { bare: true });
