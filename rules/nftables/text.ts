// A rule's statements in nft's own syntax, for people (nft list ruleset would print much the same); what this does
// not know how to print is shown as the JSON nft gave, never dropped.
const str = (v: unknown): string => (typeof v === 'string' ? (/^[\w.:/-]+$/.test(v) && !v.startsWith('@') ? v : v.startsWith('@') ? v : JSON.stringify(v)) : String(v));

export function valueText(v: unknown): string {
  if (Array.isArray(v)) return v.map(valueText).join(',');
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ('prefix' in o) {
      const p = o.prefix as { addr: string; len: number };
      return `${p.addr}/${p.len}`;
    }
    if ('range' in o) return (o.range as unknown[]).map(valueText).join('-');
    if ('set' in o) return `{ ${(o.set as unknown[]).map((e) => (Array.isArray(e) ? `${valueText(e[0])} : ${stmtText(e[1] as Record<string, unknown>)}` : valueText(e))).join(', ')} }`;
    if ('concat' in o) return (o.concat as unknown[]).map(valueText).join(' . ');
    return exprText(o);
  }
  return str(v);
}

/** A left-hand expression: meta iifname, ip daddr, tcp dport, ct state, fib daddr type, mark & mask. */
export function exprText(e: Record<string, unknown>): string {
  if ('meta' in e) {
    const k = (e.meta as { key: string }).key;
    return ['iifname', 'oifname', 'iif', 'oif', 'mark', 'l4proto', 'nfproto'].includes(k) ? (k === 'mark' || k === 'l4proto' || k === 'nfproto' ? `meta ${k}` : k) : `meta ${k}`;
  }
  if ('payload' in e) {
    const p = e.payload as { protocol?: string; field?: string; base?: string; offset?: number; len?: number };
    return p.protocol ? `${p.protocol} ${p.field}` : `@${p.base},${p.offset},${p.len}`;
  }
  if ('ct' in e) {
    const c = e.ct as { key: string; dir?: string };
    return `ct${c.dir ? ` ${c.dir}` : ''} ${c.key}`;
  }
  if ('fib' in e) {
    const f = e.fib as { result: string; flags: string[] };
    return `fib ${f.flags.join(' . ')} ${f.result}`;
  }
  if ('&' in e) {
    const [a, b] = e['&'] as unknown[];
    return `${valueText(a)} & ${typeof b === 'number' ? `0x${b.toString(16).padStart(8, '0')}` : valueText(b)}`;
  }
  return JSON.stringify(e);
}

function stmtText(s: Record<string, unknown>): string {
  const [k, v] = Object.entries(s)[0] ?? ['?', null];
  switch (k) {
    case 'match': {
      const m = v as { op: string; left: Record<string, unknown>; right: unknown };
      const op = m.op === '==' || m.op === 'in' ? '' : ` ${m.op}`;
      return `${exprText(m.left)}${op} ${valueText(m.right)}`;
    }
    case 'counter':
      return 'counter';
    case 'accept':
    case 'drop':
    case 'return':
    case 'notrack':
      return k;
    case 'reject':
      return v && typeof v === 'object' && 'expr' in (v as object) ? `reject with ${(v as { type?: string }).type ?? 'icmp'} ${(v as { expr: string }).expr}` : 'reject';
    case 'jump':
    case 'goto':
      return `${k} ${(v as { target: string }).target}`;
    case 'vmap': {
      const m = v as { key: Record<string, unknown>; data: unknown };
      return `${exprText(m.key)} vmap ${valueText(m.data)}`;
    }
    case 'dnat':
    case 'snat': {
      const n = (v ?? {}) as { addr?: unknown; port?: unknown };
      return `${k} to ${n.addr !== undefined ? valueText(n.addr) : ''}${n.port !== undefined ? `:${valueText(n.port)}` : ''}`;
    }
    case 'masquerade':
    case 'redirect': {
      const n = (v ?? {}) as { port?: unknown };
      return n.port !== undefined ? `${k} to :${valueText(n.port)}` : k;
    }
    case 'log': {
      const l = (v ?? {}) as { prefix?: string };
      return l.prefix !== undefined ? `log prefix ${JSON.stringify(l.prefix)}` : 'log';
    }
    case 'limit': {
      const l = v as { rate: number; per: string };
      return `limit rate ${l.rate}/${l.per}`;
    }
    case 'mangle': {
      const m = v as { key: Record<string, unknown>; value: unknown };
      return `${exprText(m.key)} set ${valueText(m.value)}`;
    }
    default:
      return JSON.stringify(s);
  }
}

/** A native nftables rule as `nft list ruleset` prints it, from its statements and comment. */
export function nftRuleText(expr: Record<string, unknown>[], comment: string | null): string {
  return [...expr.map(stmtText), ...(comment ? [`comment ${JSON.stringify(comment)}`] : [])].join(' ');
}
