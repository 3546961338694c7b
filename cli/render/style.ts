// Terminal styling: colour only on a TTY and never with NO_COLOR.
import type { Io } from '../io.js';

export interface Style {
  verdict(v: string): string;
  dim(t: string): string;
  bold(t: string): string;
}

export function styleFor(io: Io): Style {
  const on = io.isTTY && !('NO_COLOR' in io.env) && io.env.TERM !== 'dumb';
  const wrap = (code: string) => (t: string) => (on ? `\u001b[${code}m${t}\u001b[0m` : t);
  const colours: Record<string, (t: string) => string> = { reachable: wrap('32;1'), blocked: wrap('31;1'), unknown: wrap('33;1') };
  return { verdict: (v) => (colours[v] ?? ((t: string) => t))(v), dim: wrap('2'), bold: wrap('1') };
}
