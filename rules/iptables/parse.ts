// Parses the text of one iptables rule (`-A CHAIN …`, as iptables-save prints it) into matches and a target.
// Anything not understood is kept as an `unknown` match or target: the evaluator then answers "unknown", never guesses.
import { parseU32 } from './u32.js';
import { tokenize } from './tokenize.js';
import { familyOf, parseCidr, parseIp } from '../addr/addr.js';
import type { Ip } from '../addr/addr.js';
import type { Match, ParsedRule, PortRange, Target } from './ast.js';

// ip6tables-save prints ICMPv6 as ipv6-icmp; users write icmpv6 or 58: all one protocol, never ICMP's 1.
const PROTO_NUMBERS: Record<string, string> = { '1': 'icmp', '6': 'tcp', '17': 'udp', '132': 'sctp', '58': 'ipv6-icmp', icmpv6: 'ipv6-icmp', '0': 'all' };

/** ICMP type names iptables prints (iptables -p icmp --help); null type means "any". */
const ICMP_TYPES: Record<string, [number | null, number | null]> = {
  any: [null, null],
  'echo-reply': [0, null],
  pong: [0, null],
  'destination-unreachable': [3, null],
  'network-unreachable': [3, 0],
  'host-unreachable': [3, 1],
  'protocol-unreachable': [3, 2],
  'port-unreachable': [3, 3],
  'fragmentation-needed': [3, 4],
  'source-quench': [4, null],
  redirect: [5, null],
  'echo-request': [8, null],
  ping: [8, null],
  'router-advertisement': [9, null],
  'router-solicitation': [10, null],
  'time-exceeded': [11, null],
  ttl: [11, null],
  'parameter-problem': [12, null],
  'timestamp-request': [13, null],
  'timestamp-reply': [14, null],
};

/** ICMPv6 type names ip6tables prints (ip6tables -p icmpv6 --help). */
const ICMPV6_TYPES: Record<string, [number | null, number | null]> = {
  'destination-unreachable': [1, null],
  'no-route': [1, 0],
  'communication-prohibited': [1, 1],
  'address-unreachable': [1, 3],
  'port-unreachable': [1, 4],
  'packet-too-big': [2, null],
  'time-exceeded': [3, null],
  ttl: [3, null],
  'parameter-problem': [4, null],
  'echo-request': [128, null],
  ping: [128, null],
  'echo-reply': [129, null],
  pong: [129, null],
  'router-solicitation': [133, null],
  'router-advertisement': [134, null],
  'neighbour-solicitation': [135, null],
  'neighbor-solicitation': [135, null],
  'neighbour-advertisement': [136, null],
  'neighbor-advertisement': [136, null],
  redirect: [137, null],
};

const MODELLED_MODULES = new Set(['tcp', 'udp', 'sctp', 'multiport', 'conntrack', 'state', 'addrtype', 'physdev', 'comment', 'icmp', 'icmp6', 'mark', 'iprange', 'ipvs', 'u32']);

function portRanges(text: string): PortRange[] | null {
  const out: PortRange[] = [];
  for (const part of text.split(',')) {
    const [a, b] = part.split(':');
    const lo = a === '' ? 0 : Number(a);
    const hi = b === undefined ? lo : b === '' ? 65535 : Number(b);
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 0 || hi > 65535 || lo > hi) return null;
    out.push([lo, hi]);
  }
  return out;
}

function markValue(text: string): { value: number; mask: number } | null {
  const [v, m] = text.split('/');
  const value = Number(v);
  const mask = m === undefined ? 0xffffffff : Number(m);
  if (!Number.isFinite(value) || !Number.isFinite(mask)) return null;
  return { value: value >>> 0, mask: mask >>> 0 };
}

/**
 * The policy match moby's encrypted overlays write, in exactly its words: `-m policy --dir in|out --pol none|ipsec`
 * (their u32 VNI match is u32's own, evaluated in u32.ts). Any other use of the module stays unknown.
 */
function mobyOverlayMatch(words: string[]): Match | null {
  const [, module, ...rest] = words;
  if (module === 'policy' && rest.length === 4 && rest[0] === '--dir' && rest[2] === '--pol') {
    const dir = rest[1];
    const pol = rest[3];
    if ((dir === 'in' || dir === 'out') && (pol === 'none' || pol === 'ipsec')) return { kind: 'policy', dir, pol, neg: false };
  }
  return null;
}

export function parseRule(text: string): ParsedRule {
  let words: string[];
  try {
    words = tokenize(text);
  } catch (error) {
    return { chain: '', args: [], matches: [], target: { kind: 'unknown', name: '?', text }, ipsets: [], problems: [(error as Error).message] };
  }
  const matches: Match[] = [];
  const problems: string[] = [];
  let target: Target = { kind: 'none' };
  let chain = '';
  let module: string | null = null;
  let unknownModuleWords: string[] | null = null;
  let neg = false;
  let i = 0;
  const next = () => words[i++];
  const ipsets: ParsedRule['ipsets'] = [];
  const flushUnknownModule = () => {
    const known = unknownModuleWords ? mobyOverlayMatch(unknownModuleWords) : null;
    if (known) matches.push(known);
    else if (unknownModuleWords) {
      matches.push({ kind: 'unknown', text: unknownModuleWords.join(' ') });
      if (unknownModuleWords[1] === 'set') ipsets.push(...ipsetMatches(unknownModuleWords.slice(2)));
    }
    unknownModuleWords = null;
  };

  while (i < words.length) {
    const w = next() as string;
    if (w === '!') {
      // iptables-save prints one '!' before the option it negates; two, or one before nothing, is not its output.
      if (neg) problems.push("'! !': a negation of a negation");
      if (i >= words.length) problems.push("a trailing '!' negates nothing");
      neg = true;
      continue;
    }
    const isGlobal = !w.startsWith('--') && w.startsWith('-');
    if (isGlobal) flushUnknownModule();
    if (unknownModuleWords && w.startsWith('--')) {
      unknownModuleWords.push(...(neg ? ['!', w] : [w]));
      while (i < words.length && !(words[i] as string).startsWith('-') && words[i] !== '!') unknownModuleWords.push(next() as string);
      neg = false;
      continue;
    }
    const value = () => {
      const v = next();
      if (v === undefined) problems.push(`${w} needs a value`);
      return v ?? '';
    };
    const cidr = (v: string) => {
      const c = parseCidr(v);
      if (!c) problems.push(`${w} ${v}: not an IPv4 or IPv6 address or CIDR`);
      return c;
    };
    switch (w) {
      case '-A':
      case '--append':
        if (neg) problems.push("'!' before -A");
        if (chain) problems.push('a second -A');
        chain = value();
        break;
      case '-s':
      case '--source':
      case '-d':
      case '--destination': {
        const c = cidr(value());
        if (c) matches.push({ kind: w === '-s' || w === '--source' ? 'src' : 'dst', cidr: c, neg });
        else matches.push({ kind: 'unknown', text: `${w} ${words[i - 1]}` });
        break;
      }
      case '-i':
      case '--in-interface':
        matches.push({ kind: 'in', iface: value(), neg });
        break;
      case '-o':
      case '--out-interface':
        matches.push({ kind: 'out', iface: value(), neg });
        break;
      case '-p':
      case '--protocol': {
        const p = value().toLowerCase();
        matches.push({ kind: 'proto', proto: PROTO_NUMBERS[p] ?? p, neg });
        break;
      }
      case '-m':
      case '--match':
        if (neg) problems.push("'!' before -m");
        module = value();
        if (!MODELLED_MODULES.has(module)) unknownModuleWords = ['-m', module];
        break;
      case '-j':
      case '--jump':
      case '-g':
      case '--goto':
        // A target cannot be negated: `-s X ! -j DROP` is not a DROP rule with a condition netdiag may drop.
        if (neg) problems.push(`'!' before ${w}`);
        target = parseTarget(w === '-g' || w === '--goto', value(), words.slice(i), problems);
        i = words.length;
        break;
      // tcp / udp / sctp
      case '--sport':
      case '--source-port':
      case '--dport':
      case '--destination-port': {
        const r = portRanges(value());
        if (r) matches.push({ kind: w === '--sport' || w === '--source-port' ? 'sport' : 'dport', ranges: r, neg });
        else matches.push({ kind: 'unknown', text: `${w} ${words[i - 1]}` });
        break;
      }
      // multiport
      case '--dports':
      case '--destination-ports':
      case '--sports':
      case '--source-ports':
      case '--ports': {
        const r = portRanges(value());
        const kind = w === '--ports' ? 'ports' : w.startsWith('--d') ? 'dport' : 'sport';
        if (r) matches.push({ kind, ranges: r, neg });
        else matches.push({ kind: 'unknown', text: `${w} ${words[i - 1]}` });
        break;
      }
      case '--ctstate':
      case '--state':
        matches.push({ kind: 'ctstate', states: value().split(','), neg });
        break;
      case '--ctorigdst':
      case '--ctorigsrc': {
        const c = cidr(value());
        if (c) matches.push({ kind: w === '--ctorigdst' ? 'ctorigdst' : 'ctorigsrc', cidr: c, neg });
        else matches.push({ kind: 'unknown', text: `${w} ${words[i - 1]}` });
        break;
      }
      case '--ctorigdstport': {
        const r = portRanges(value());
        matches.push(r ? { kind: 'ctorigdstport', ranges: r, neg } : { kind: 'unknown', text: `${w} ${words[i - 1]}` });
        break;
      }
      case '--src-type':
      case '--dst-type':
        matches.push({ kind: 'addrtype', side: w === '--src-type' ? 'src' : 'dst', types: value().split(','), neg, limitIface: null });
        break;
      case '--limit-iface-in':
      case '--limit-iface-out': {
        const last = [...matches].reverse().find((m) => m.kind === 'addrtype');
        if (last && last.kind === 'addrtype') last.limitIface = w === '--limit-iface-in' ? 'in' : 'out';
        break;
      }
      case '--physdev-in':
      case '--physdev-out':
        matches.push({ kind: 'physdev', option: w === '--physdev-in' ? 'in' : 'out', iface: value(), neg });
        break;
      case '--physdev-is-bridged':
      case '--physdev-is-in':
      case '--physdev-is-out':
        matches.push({ kind: 'physdev', option: w.slice('--physdev-'.length) as 'is-bridged' | 'is-in' | 'is-out', iface: null, neg });
        break;
      // ipvs: only the bare --ipvs (moby's SNAT of balanced packets); --vaddr, --vport … stay unknown.
      case '--ipvs':
        matches.push({ kind: 'ipvs', neg });
        break;
      case '--u32': {
        const text = value();
        const tests = parseU32(text);
        matches.push(tests ? { kind: 'u32', tests, text, neg } : { kind: 'unknown', text: `-m u32 --u32 ${text}` });
        break;
      }
      case '--comment':
        if (neg) problems.push("'!' before --comment");
        matches.push({ kind: 'comment', text: value() });
        break;
      case '--icmp-type':
      case '--icmpv6-type': {
        const v = value();
        const v6 = w === '--icmpv6-type';
        const named = (v6 ? ICMPV6_TYPES : ICMP_TYPES)[v];
        const [t, c] = v.split('/');
        const type = named ? named[0] : Number(t);
        const code = named ? named[1] : c === undefined ? null : Number(c);
        if (type !== null && !Number.isInteger(type)) matches.push({ kind: 'unknown', text: `${w} ${v}` });
        else matches.push({ kind: 'icmp', family: v6 ? 6 : 4, type, code, neg });
        break;
      }
      case '--mark': {
        const m = markValue(value());
        matches.push(m ? { kind: 'mark', ...m, neg } : { kind: 'unknown', text: `--mark ${words[i - 1]}` });
        break;
      }
      case '--src-range':
      case '--dst-range': {
        const [a, b] = value().split('-');
        const from = parseIp(a ?? '');
        const to = parseIp(b ?? a ?? '');
        if (from === null || to === null || familyOf(from) !== familyOf(to)) matches.push({ kind: 'unknown', text: `${w} ${words[i - 1]}` });
        else matches.push({ kind: 'iprange', side: w === '--src-range' ? 'src' : 'dst', from, to, neg });
        break;
      }
      default: {
        // An option of a modelled module that we do not model (e.g. tcp --tcp-flags): keep it and its values.
        const vals: string[] = [];
        while (i < words.length && !(words[i] as string).startsWith('-') && words[i] !== '!') vals.push(next() as string);
        matches.push({ kind: 'unknown', text: [neg ? '!' : '', module ? `-m ${module}` : '', w, ...vals].filter(Boolean).join(' ') });
      }
    }
    neg = false;
  }
  flushUnknownModule();
  if (!chain) problems.push('no -A CHAIN');
  return { chain, args: words[0] === '-A' ? words.slice(2) : [], matches, target, ipsets, problems };
}

/** The sets a `-m set` match names: `[!] --match-set NAME FLAGS`, as iptables-save prints them. */
function ipsetMatches(options: string[]): ParsedRule['ipsets'] {
  const out: ParsedRule['ipsets'] = [];
  for (let k = 0; k < options.length; k++) {
    const neg = options[k] === '!';
    if (neg) k++;
    if (options[k] !== '--match-set') continue;
    const name = options[k + 1];
    if (name) out.push({ name, flags: (options[k + 2] ?? '').split(',').filter(Boolean), neg });
    k += 2;
  }
  return out;
}

/** The options each modelled target takes (true: followed by a value), as iptables-save prints them after `-j NAME`. */
const TARGET_OPTIONS: Record<string, Record<string, boolean>> = {
  ACCEPT: {},
  DROP: {},
  RETURN: {},
  REJECT: { '--reject-with': true },
  LOG: { '--log-level': true, '--log-prefix': true, '--log-tcp-sequence': false, '--log-tcp-options': false, '--log-ip-options': false, '--log-uid': false, '--log-macdecode': false },
  NFLOG: { '--nflog-group': true, '--nflog-prefix': true, '--nflog-range': true, '--nflog-size': true, '--nflog-threshold': true },
  CHECKSUM: { '--checksum-fill': false },
  MARK: { '--set-xmark': true, '--set-mark': true, '--and-mark': true, '--or-mark': true, '--xor-mark': true },
  MASQUERADE: { '--to-ports': true, '--random': false, '--random-fully': false },
  SNAT: { '--to-source': true, '--random': false, '--random-fully': false, '--persistent': false },
  DNAT: { '--to-destination': true, '--random': false, '--persistent': false },
  REDIRECT: { '--to-ports': true, '--random': false },
};

/**
 * --to-source: `1.2.3.4`, `1.2.3.4:80`, `[fd00::1]:80`, `fd00::1`, a range (its first address: the one a single
 * connection is walked with), or `:80` (the port only: null, the address stays). Undefined when unreadable.
 */
function snatAddress(text: string): Ip | null | undefined {
  if (text.startsWith(':') && !text.startsWith('::')) return null;
  let address = text;
  if (text.startsWith('[')) address = text.slice(1, text.indexOf(']') >>> 0);
  else if (text.includes('.') && !text.includes('::')) address = text.split(':')[0] ?? '';
  return parseIp(address.split('-')[0] ?? '') ?? undefined;
}

function parseTarget(isGoto: boolean, name: string, rest: string[], problems: string[]): Target {
  // Words after the target must be that target's own options: anything else is not a rule iptables-save prints.
  const allowed = isGoto ? {} : TARGET_OPTIONS[name];
  if (allowed) {
    for (let k = 0; k < rest.length; k++) {
      const w = rest[k] as string;
      const takes = allowed[w];
      if (takes === undefined) {
        problems.push(`${JSON.stringify(w)} after -${isGoto ? 'g' : 'j'} ${name}: not an option of that target`);
        break;
      }
      if (takes) {
        if (rest[k + 1] === undefined) problems.push(`${w} needs a value`);
        k++;
      }
    }
  } else if (!KNOWN_EXTENSION_TARGETS.has(name) && !rest.some((w) => w.startsWith('--')) && rest.length > 0) {
    problems.push(`${JSON.stringify(rest[0])} after -j ${name}: a jump to a chain takes no arguments`);
  }
  if (isGoto) return { kind: 'goto', chain: name };
  const opt = (o: string) => {
    const k = rest.indexOf(o);
    return k >= 0 ? (rest[k + 1] ?? null) : null;
  };
  switch (name) {
    case 'ACCEPT':
    case 'DROP':
    case 'RETURN':
      return { kind: name };
    case 'REJECT':
      return { kind: 'REJECT', with: opt('--reject-with') };
    case 'LOG':
    case 'NFLOG':
      return { kind: 'LOG' };
    case 'CHECKSUM':
      return { kind: 'CHECKSUM' };
    case 'MARK': {
      for (const [o, op] of [['--set-xmark', 'xset'], ['--set-mark', 'set'], ['--and-mark', 'and'], ['--or-mark', 'or'], ['--xor-mark', 'xor']] as const) {
        const v = opt(o);
        if (v !== null) {
          const [a, b] = v.split('/');
          const value = Number(a) >>> 0;
          const mask = b === undefined ? 0xffffffff : Number(b) >>> 0;
          return { kind: 'MARK', value, mask, op };
        }
      }
      return { kind: 'unknown', name, text: ['-j', name, ...rest].join(' ') };
    }
    case 'MASQUERADE': {
      const p = opt('--to-ports');
      return { kind: 'MASQUERADE', toPorts: p ? (portRangeDash(p) ?? null) : null };
    }
    case 'SNAT': {
      const toSource = opt('--to-source') ?? '';
      const toIp = snatAddress(toSource);
      if (toIp === undefined) return { kind: 'unknown', name, text: ['-j', name, ...rest].join(' ') };
      return { kind: 'SNAT', toSource, toIp };
    }
    case 'DNAT': {
      const to = opt('--to-destination');
      if (!to) {
        problems.push('DNAT without --to-destination');
        return { kind: 'unknown', name, text: ['-j', name, ...rest].join(' ') };
      }
      // [fd00::2]:80 for IPv6 (ip6tables-save brackets an address with a port), 172.17.0.2:80 for IPv4.
      const bracket = /^\[([^\]]+)\](?::(.*))?$/.exec(to);
      const [ip, port] = bracket ? [bracket[1], bracket[2]] : to.includes('.') || !to.includes('::') && to.split(':').length <= 2 ? to.split(':') : [to, undefined];
      const toIp = ip ? parseIp(ip) : null;
      if (ip && toIp === null) return { kind: 'unknown', name, text: ['-j', name, ...rest].join(' ') };
      return { kind: 'DNAT', toIp, toPort: port ? portRangeDash(port) : null };
    }
    case 'REDIRECT': {
      const p = opt('--to-ports');
      return { kind: 'REDIRECT', toPort: p ? portRangeDash(p) : null };
    }
    default:
      // Extension targets we do not model are kept as unknown; any other name is a user chain (the walk checks it exists).
      if (KNOWN_EXTENSION_TARGETS.has(name) || rest.some((w) => w.startsWith('--'))) return { kind: 'unknown', name, text: ['-j', name, ...rest].join(' ') };
      return { kind: 'jump', chain: name };
  }
}

const KNOWN_EXTENSION_TARGETS = new Set(['CONNMARK', 'TCPMSS', 'NOTRACK', 'CT', 'TPROXY', 'NETMAP', 'SET', 'TRACE', 'AUDIT', 'NFQUEUE', 'QUEUE', 'TOS', 'TTL', 'DSCP', 'CLASSIFY', 'SECMARK', 'CONNSECMARK', 'IDLETIMER', 'LED', 'HMARK', 'SYNPROXY', 'TEE', 'ULOG', 'CLUSTERIP', 'ECN']);

function portRangeDash(text: string): PortRange | null {
  const [a, b] = text.split('-');
  const lo = Number(a);
  const hi = b === undefined ? lo : Number(b);
  return Number.isInteger(lo) && Number.isInteger(hi) ? [lo, hi] : null;
}
