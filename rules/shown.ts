// How a value someone typed or a snapshot holds is quoted in a message: JSON-escaped (no raw newline or escape
// sequence reaches a terminal) and cut to a length a message can carry.
export function shown(value: string, max = 120): string {
  return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
}
