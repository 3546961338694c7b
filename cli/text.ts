// Text from outside (names, rule comments, file names) made safe for a terminal: control characters escaped, long
// values cut, so a hostile container name cannot rewrite an operator's screen or bury a message.
import type { Io } from './io.js';

const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
const CONTROL_ALL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
/** The colour sequences netdiag's own style writes (SGR), which a coloured terminal keeps. */
const SGR = /\u001b\[[0-9;]*m/y;

const escapeChar = (c: string) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;

/**
 * The CLI's output as it is shown: everything passes through terminalSafe, since names and rule text from a snapshot
 * can hold escape sequences (colour kept on stdout when it is coloured). stdoutBytes stays raw: it carries only JSON,
 * whose encoder already escaped every C0 control.
 */
export function terminalSafeIo(rawIo: Io): Io {
  const colour = rawIo.isTTY && !rawIo.env.NO_COLOR;
  return { ...rawIo, stdout: (t) => rawIo.stdout(terminalSafe(t, colour)), stderr: (t) => rawIo.stderr(terminalSafe(t, false)) };
}

/** Escape every control character but newline and tab; with `keepColour`, netdiag's SGR colour sequences stay. */
export function terminalSafe(text: string, keepColour: boolean): string {
  if (!CONTROL.test(text)) return text;
  if (!keepColour) return text.replace(CONTROL_ALL, escapeChar);
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\u001b') {
      SGR.lastIndex = i;
      const m = SGR.exec(text);
      if (m) {
        out += m[0];
        i += m[0].length - 1;
        continue;
      }
    }
    out += CONTROL.test(c) ? escapeChar(c) : c;
  }
  return out;
}

export { shown, shownPath } from '../rules/query/shown.js';

/** A message for one line: newlines and control characters escaped, and no longer than `max`. */
export function oneLine(message: string, max = 2000): string {
  const flat = message.replace(/\r?\n/g, '\\n').replace(CONTROL_ALL, escapeChar);
  return flat.length > max ? `${flat.slice(0, max)}… (${flat.length - max} more characters)` : flat;
}
