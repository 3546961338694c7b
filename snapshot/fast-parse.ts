// zod's parse for the common case of a well-formed value, without zod's per-value machinery; anything else is zod's.
import type { z } from 'zod';

/**
 * zod's parse of a 100-host fleet's snapshots was a fifth of `netdiag matrix`'s time: a payload object and an issue
 * list for every value, besides the copy. This walks the same schema and returns what zod would return (unknown keys
 * left out, defaults filled, keys in the schema's order; the value itself, uncopied, where nothing changes), or says
 * it is not sure: an invalid value anywhere, a kind of schema it does not know (transforms, pipes, lazies, checks on
 * objects or arrays, …). Then the caller runs zod itself, so every result and every error message is zod's. Leaf
 * values (strings with formats, enums, numbers with checks) are judged by the schema's own code, never by a copy of it.
 */
export const NOT_SURE: unique symbol = Symbol('not sure');
/** A leaf the schema's own code refused: a union tries its next option (only then can it know zod would). */
const REFUSED: unique symbol = Symbol('refused');
type Result = unknown;
type Parse = (v: unknown) => Result;

// zod 4's internals, as far as this reads them.
interface Internals {
  def: { type: string; checks?: unknown[]; [k: string]: unknown };
  run(payload: { value: unknown; issues: unknown[] }, ctx: object): { value: unknown; issues: unknown[] } | Promise<unknown>;
  values?: Set<unknown>;
  optin?: string;
  traits?: Set<string>;
  check?: unknown;
}
const zodOf = (s: unknown): Internals => (s as { _zod: Internals })._zod;

const CTX = {};
const never: Parse = () => NOT_SURE;
const isPlain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
const failed = (r: Result): boolean => r === NOT_SURE || r === REFUSED;

/** A leaf run by its own schema: its value, or refused when the schema says so. */
function leaf(z: Internals): Parse {
  const run = (v: unknown): Result => {
    const r = z.run({ value: v, issues: [] }, CTX);
    if (r instanceof Promise) return NOT_SURE;
    return r.issues.length > 0 ? REFUSED : r.value;
  };
  // A fleet's snapshots repeat the same few thousand leaves (states, kinds, mtus, ifindexes) hundreds of thousands of
  // times, and each run of the schema makes a payload and an issue list. zod's own checks on a primitive depend on
  // the value alone, so its verdict is kept per value — unless a check runs a caller's function (refine, overwrite),
  // which could answer differently the second time. 0 is not kept: a Map holds 0 and -0 as one key.
  const own = (z.def.checks ?? []).some((c) => {
    const kind = (c as { _zod?: { def?: { check?: unknown } } })._zod?.def?.check;
    return kind === 'custom' || kind === 'overwrite';
  });
  if (own) return run;
  const kept = new Map<unknown, Result>();
  return (v) => {
    const t = typeof v;
    if (t !== 'string' && (t !== 'number' || v === 0) && t !== 'boolean') return run(v);
    const hit = kept.get(v);
    if (hit !== undefined) return hit;
    const r = run(v);
    if (r !== NOT_SURE && kept.size < KEPT_PER_LEAF) kept.set(v, r);
    return r;
  };
}
/** Enough for a fleet's repeated leaves; a bound so that a file of a million distinct values keeps no million entries. */
const KEPT_PER_LEAF = 4096;

function compile(schema: unknown, seen: Map<unknown, Parse>): Parse {
  const known = seen.get(schema);
  if (known) return known;
  // A schema met again inside itself (only by sharing: z.lazy is not compiled) gets the same function.
  let parse: Parse = never;
  seen.set(schema, (v) => parse(v));
  parse = make(zodOf(schema), seen);
  seen.set(schema, parse);
  return parse;
}

function make(z: Internals, seen: Map<unknown, Parse>): Parse {
  const def = z.def;
  // Checks in the definition, a format checked by the schema itself (z.ipv4() has no listed checks) or coercion:
  // only the schema's own code may judge the value.
  const checked = (def.checks?.length ?? 0) > 0 || typeof z.check === 'function' || def.coerce === true;
  switch (def.type) {
    case 'string':
      return checked ? leaf(z) : (v) => (typeof v === 'string' ? v : REFUSED);
    case 'boolean':
      return checked ? leaf(z) : (v) => (typeof v === 'boolean' ? v : REFUSED);
    case 'number':
    case 'enum':
    case 'literal':
    case 'null':
      return leaf(z);
    case 'unknown':
    case 'any':
      return checked ? never : (v) => v;
    case 'nullable': {
      if (checked) return never;
      const inner = compile(def.innerType, seen);
      return (v) => (v === null ? null : inner(v));
    }
    case 'optional': {
      // An optional around a default substitutes for absence: zod's to judge.
      if (checked || zodOf(def.innerType).optin === 'defaulted') return never;
      const inner = compile(def.innerType, seen);
      return (v) => (v === undefined ? undefined : inner(v));
    }
    case 'default': {
      if (checked) return never;
      const inner = compile(def.innerType, seen);
      // zod's own getter: a fresh copy of the default each time, as zod gives.
      return (v) => {
        if (v === undefined) return def.defaultValue;
        const r = inner(v);
        return r === undefined ? def.defaultValue : r;
      };
    }
    case 'array': {
      if (checked) return never;
      const item = compile(def.element, seen);
      return (v) => {
        if (!Array.isArray(v)) return NOT_SURE;
        let out: unknown[] | null = null;
        for (let i = 0; i < v.length; i++) {
          const r = item(v[i]);
          if (failed(r)) return NOT_SURE;
          if (out === null && r !== v[i]) out = v.slice(0, i);
          if (out !== null) out.push(r);
        }
        return out ?? v;
      };
    }
    case 'union': {
      // xor and discriminated unions (not inclusive) want exactly one option: zod's to judge.
      if (checked || def.inclusive === false || z.traits?.has('$ZodDiscriminatedUnion') || z.traits?.has('$ZodXor')) return never;
      // zod returns the first option that takes the value: known only when every earlier option refused it.
      const options = (def.options as unknown[]).map((o) => compile(o, seen));
      return (v) => {
        for (const o of options) {
          const r = o(v);
          if (r !== REFUSED) return r;
        }
        return NOT_SURE;
      };
    }
    case 'record': {
      // An enum's exhaustive record is built in the enum's order and a loose one keeps bad keys: left to zod.
      if (checked || (zodOf(def.keyType).values && !def.partial) || def.mode === 'loose') return never;
      const key = compile(def.keyType, seen);
      const value = compile(def.valueType, seen);
      return (v) => {
        if (!isPlain(v) || Object.getOwnPropertySymbols(v).length > 0) return NOT_SURE;
        let out: Record<string, unknown> | null = null;
        const keys = Object.keys(v);
        for (let i = 0; i < keys.length; i++) {
          const k = keys[i] as string;
          const r = value(v[k]);
          if (k === '__proto__' || key(k) !== k || failed(r)) return NOT_SURE;
          if (out === null && r !== v[k]) {
            out = {};
            for (let j = 0; j < i; j++) out[keys[j] as string] = v[keys[j] as string];
          }
          if (out !== null) out[k] = r;
        }
        return out ?? v;
      };
    }
    case 'object': {
      // A catchall (strict or loose objects) judges unknown keys its own way: zod's to judge.
      if (checked || def.catchall !== undefined) return never;
      const shape = def.shape as Record<string, unknown>;
      const keys = Object.keys(shape);
      if (Object.getOwnPropertySymbols(shape).length > 0 || keys.some((k) => k in Object.prototype)) return never;
      const parses = keys.map((k) => compile(shape[k], seen));
      // An absent key: a plain optional stays absent, a default is filled in (both as zod does), anything else is an error.
      const kinds = keys.map((k) => {
        const f = zodOf(shape[k]);
        return f.def.type === 'optional' && f.optin === 'optional' ? 'optional' : f.def.type;
      });
      const n = keys.length;
      const results: unknown[] = new Array(n);
      let busy = false;
      return (v) => {
        if (!isPlain(v)) return NOT_SURE;
        // One array of results reused call after call (a fleet has millions of objects); a call nested in another of
        // the same schema (a schema inside itself) would overwrite the outer one's, so it gets its own.
        const rs = busy ? new Array<unknown>(n) : results;
        const outer = busy;
        busy = true;
        try {
          return object(v, rs);
        } finally {
          busy = outer;
        }
      };
      function object(v: Record<string, unknown>, rs: unknown[]): Result {
        let same = true;
        let present = 0;
        for (let i = 0; i < n; i++) {
          const k = keys[i] as string;
          if (!Object.hasOwn(v, k)) {
            if (kinds[i] === 'optional') {
              rs[i] = NOT_SURE;
              continue;
            }
            if (kinds[i] !== 'default') return NOT_SURE;
            rs[i] = (parses[i] as Parse)(undefined);
            same = false;
            continue;
          }
          present++;
          const x = v[k];
          const r = (parses[i] as Parse)(x);
          if (failed(r)) return NOT_SURE;
          if (r !== x) same = false;
          rs[i] = r;
        }
        if (same) {
          // Unchanged only if the input has no other keys and has these in the schema's order.
          let i = 0;
          for (const k in v) {
            while (i < n && keys[i] !== k) i++;
            if (i === n) {
              same = false;
              break;
            }
            i++;
          }
          if (same && present === Object.keys(v).length) return v;
        }
        const out: Record<string, unknown> = {};
        for (let i = 0; i < n; i++) if (rs[i] !== NOT_SURE) out[keys[i] as string] = rs[i];
        return out;
      }
    }
    default:
      // Transforms, pipes, lazies, intersections, tuples, …: zod's to judge.
      return never;
  }
}

const compiled = new WeakMap<object, Parse>();

/** What zod's parse of `value` would return (the value itself where nothing changes), or NOT_SURE: then ask zod. */
export function fastParse(schema: z.ZodType, value: unknown): unknown {
  let parse = compiled.get(schema);
  if (!parse) compiled.set(schema, (parse = compile(schema, new Map())));
  const r = parse(value);
  return r === REFUSED ? NOT_SURE : r;
}
