// Meaning is decided once, from parsed rules and Docker's data: no regular expression (or string search) recovers it
// from rule text or from netdiag's own sentences outside the parsers, and Docker's names (chains, tables, bridges,
// comments) are written and matched only in rules/meaning/layouts.ts. Read with the TypeScript compiler, not a pattern.
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, plantedTree, sources } from './source-files.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** Where meaning is read: the model, its presentation, the actuation and both faces. collectors/ parse tool output. */
const SCOPE = ['rules', 'present', 'actuation', 'cli', 'agent'];

/** The parsers: reading text is their job (iptables-save lines, nft's text, addresses, what a user types). */
const PARSERS = [/^rules\/iptables\/(parse|tokenize)\.ts$/, /^rules\/nftables\/text\.ts$/, /^rules\/addr\//, /^rules\/query\/flow\.ts$/];

/** Escaping output (HTML, DOT, mermaid, shell quoting) rewrites text without reading meaning from it. */
const ESCAPERS = [/^present\//, /^rules\/changes\/command\.ts$/];

/** Fields that hold a rule's text or netdiag's prose (a rule's, decision's, step's, fix's or finding's). */
const PROSE_FIELDS = new Set(['text', 'ruleText', 'reason', 'note', 'title', 'message', 'summary', 'detail', 'scope']);
/** Local names such text travels under. */
const PROSE_NAMES = new Set(['text', 'ruleText', 'reason', 'note', 'title', 'sentence', 'prose']);
/** Functions whose result is rule text or prose. */
const PROSE_CALLS = new Set(['ruleText', 'flowText', 'describeDecision', 'dockerMeaning']);

/** Regex methods called on the regex with the text as argument. */
const ON_REGEX = new Set(['test', 'exec']);
/** String methods that take a regex (match, matchAll and search make one of a string argument too). */
const TAKES_REGEX = new Set(['match', 'matchAll', 'search']);
const TAKES_REGEX_OR_STRING = new Set(['replace', 'replaceAll', 'split']);
/** String methods that find meaning by searching: `.text.includes('-j DROP')`. */
const SEARCHES = new Set(['includes', 'startsWith', 'endsWith', 'indexOf', 'lastIndexOf']);

/** Look through `(x)`, `x!`, `x as T`, `x ?? ''`, `x || ''` to the expression that holds the text. */
function core(e: ts.Expression): ts.Expression {
  if (ts.isParenthesizedExpression(e) || ts.isNonNullExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e)) return core(e.expression);
  if (ts.isBinaryExpression(e) && (e.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken || e.operatorToken.kind === ts.SyntaxKind.BarBarToken)) return core(e.left);
  return e;
}

/** Is this expression rule text or netdiag's prose? `aliases`: local names this file gives such text (`const t = d.text`). */
function isProse(e: ts.Expression, aliases: ReadonlySet<string> = new Set()): boolean {
  const x = core(e);
  if (ts.isPropertyAccessExpression(x)) return PROSE_FIELDS.has(x.name.text);
  if (ts.isElementAccessExpression(x) && ts.isStringLiteral(x.argumentExpression)) return PROSE_FIELDS.has(x.argumentExpression.text);
  if (ts.isIdentifier(x)) return PROSE_NAMES.has(x.text) || aliases.has(x.text);
  if (ts.isCallExpression(x)) {
    const callee = x.expression;
    const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : '';
    // A snapshot or rule turned into JSON text.
    if (name === 'stringify') return ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === 'JSON';
    // A chain that keeps it text: `d.text.trim()`, `JSON.stringify(x).replace(…)`.
    if (ts.isPropertyAccessExpression(callee) && ['trim', 'toLowerCase', 'toUpperCase', 'slice', 'replace', 'replaceAll', 'normalize'].includes(name)) return isProse(callee.expression, aliases);
    return PROSE_CALLS.has(name);
  }
  if (ts.isTemplateExpression(x)) return x.templateSpans.some((s) => isProse(s.expression, aliases));
  return false;
}

/** A name that says it holds a regex (`re`, `ids.re`, `DROP_RE`, `pattern`), where the binding is out of this file's sight. */
const REGEX_NAME = /^(re|regex|regexp|pattern)$|(Re|RE|Regex|RegExp|Pattern)$/;

/** A regex: a literal, `new RegExp(…)`/`RegExp(…)`, a name this file binds to one, or a field named as one. */
function isRegex(e: ts.Expression, regexNames: Set<string>): boolean {
  const x = core(e);
  if (ts.isRegularExpressionLiteral(x)) return true;
  if ((ts.isNewExpression(x) || ts.isCallExpression(x)) && ts.isIdentifier(x.expression) && x.expression.text === 'RegExp') return true;
  if (ts.isIdentifier(x)) return regexNames.has(x.text) || REGEX_NAME.test(x.text);
  return ts.isPropertyAccessExpression(x) && REGEX_NAME.test(x.name.text);
}

/** The function (or variable, or property) a node sits in: a name that survives edits elsewhere in the file. */
function enclosing(n: ts.Node): string {
  for (let p: ts.Node | undefined = n.parent; p; p = p.parent) {
    if ((ts.isFunctionDeclaration(p) || ts.isMethodDeclaration(p) || ts.isClassDeclaration(p)) && p.name) return p.name.getText();
    if ((ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) && (ts.isArrowFunction(p.initializer ?? p) || ts.isFunctionExpression(p.initializer ?? p)) && p.name) return p.name.getText();
    if (ts.isVariableDeclaration(p) && ts.isSourceFile(p.parent.parent.parent)) return p.name.getText();
  }
  return '<module>';
}

/** `file: function: expression` for every regex or string search that recovers meaning from text in one file. */
function meaningRecoveries(root: string, file: string): string[] {
  const sf = parse(root, file);
  const escaper = ESCAPERS.some((re) => re.test(file));
  const regexNames = new Set<string>();
  const aliases = new Set<string>();
  const collect = (n: ts.Node): void => {
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer) {
      if (isRegex(n.initializer, regexNames)) regexNames.add(n.name.text);
      if (isProse(n.initializer, aliases)) aliases.add(n.name.text);
    }
    ts.forEachChild(n, collect);
  };
  collect(sf);
  const out: string[] = [];
  const report = (n: ts.Node) => out.push(`${file}: ${enclosing(n)}: ${n.getText(sf).replace(/\s+/g, ' ').slice(0, 120)}`);
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression)) {
      const method = n.expression.name.text;
      const target = n.expression.expression;
      const [arg] = n.arguments;
      // re.test(text), re.exec(text): any callee, as a string has neither method.
      if (ON_REGEX.has(method) && arg && isProse(arg, aliases)) report(n);
      else if (TAKES_REGEX.has(method) && isProse(target, aliases)) report(n);
      else if (TAKES_REGEX_OR_STRING.has(method) && arg && isRegex(arg, regexNames) && isProse(target, aliases) && !(escaper && method !== 'split')) report(n);
      else if (SEARCHES.has(method) && arg && isProse(target, aliases)) report(n);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/**
 * Docker's layout knowledge — the names it gives its chains, tables, sets and bridges, the comments it writes — lives
 * in one file. Elsewhere a name is compared with a constant imported from there (`c.name === ADMIN_CHAIN`), never
 * written out, and never searched or matched by pattern: a bridge created with `com.docker.network.bridge.name=…` is
 * Docker's all the same, and the next Docker version renames chains in that one file.
 */
const LAYOUTS = 'rules/meaning/layouts.ts';

/** Names Docker gives its iptables chains, nft tables, ipsets and bridges (20.10–29, swarm and embedded DNS too). */
const LAYOUT_NAMES = new Set([
  'DOCKER', 'DOCKER-USER', 'DOCKER-ISOLATION-STAGE-1', 'DOCKER-ISOLATION-STAGE-2', 'DOCKER-FORWARD', 'DOCKER-BRIDGE', 'DOCKER-CT',
  'DOCKER-INTERNAL', 'DOCKER-INGRESS', 'DOCKER_OUTPUT', 'DOCKER_POSTROUTING',
  'docker-bridges', 'docker-dns', 'docker-ext-bridges-v4', 'docker-ext-bridges-v6', 'docker0', 'docker_gwbridge',
  // Docker 29's base chains in table docker-bridges (test/fixtures/moby/docker29-*.nft.txt).
  'filter-FORWARD', 'raw-PREROUTING', 'nat-PREROUTING', 'nat-OUTPUT', 'nat-POSTROUTING', 'nat-prerouting-and-output',
  // Docker 29's per-bridge chains are `<purpose>__<bridge>`: the separator alone is that knowledge too.
  '__',
]);

/**
 * The comments Docker 29 writes on its nft rules (test/fixtures/moby/docker29-*.nft.json; ALLOW FW MARK with
 * bridge-accept-fwmark). DNAT and MASQUERADE are left out: they are also iptables targets, which code names for what they are.
 */
const LAYOUT_COMMENTS = new Set([
  'DROP DIRECT ACCESS', 'UNPUBLISHED PORT DROP', 'ICC', 'ICMP', 'INTERNAL NETWORK INGRESS', 'INTERNAL NETWORK EGRESS',
  'DROP REMOTE LOOPBACK', 'MASQ TO OWN PORT', 'MASQUERADE FROM HOST', 'OUTGOING', 'UNPROTECTED', 'ALLOW FW MARK',
]);

/** Beginnings of names Docker builds: its chains, user-defined bridges (`br-<12 hex>`), Docker 29's per-bridge chains. */
const LAYOUT_PREFIXES = ['DOCKER-', 'br-', 'filter-forward-in__', 'filter-forward-out__', 'nat-postrouting-in__', 'nat-postrouting-out__'];

/**
 * Is this text a name Docker's layout dictates? A whole name or comment, or a word-free name that begins like one.
 * Text with spaces is prose for a human ("filter in DOCKER-USER"): a chain named in a sentence is product text.
 */
const isLayoutText = (text: string) => LAYOUT_NAMES.has(text) || LAYOUT_COMMENTS.has(text) || (!/\s/.test(text) && LAYOUT_PREFIXES.some((p) => text.startsWith(p)));

/** Does a regex's source name Docker's layout (`/^br-[0-9a-f]{12}$/`, `/DOCKER-ISOLATION/`)? */
const regexNamesLayout = (source: string) => [...LAYOUT_NAMES, ...LAYOUT_PREFIXES].some((n) => n.length > 2 && source.includes(n));

/**
 * Does a template build a name the way Docker does (`filter-forward-in__${bridge}`, `br-${id.slice(0, 12)}`,
 * `${purpose}__${bridge}`)? Each word of it is checked, a substitution standing for any text: a built name is
 * layout knowledge even inside a sentence; a finished name mentioned in one is prose.
 */
function templateBuildsLayoutName(t: ts.TemplateExpression): boolean {
  const HOLE = '\u0000';
  const shape = t.head.text + t.templateSpans.map((s) => HOLE + s.literal.text).join('');
  return shape.split(/\s+/).some((word) => word.includes(HOLE) && (LAYOUT_PREFIXES.some((p) => word.startsWith(p)) || word.includes(`__${HOLE}`)));
}

/**
 * What names a chain, a table, an interface or a bridge — syntactically, as the file is written (bindings are by name
 * within a file, not by scope: a false alarm is cured by a clearer name, a miss is what the planted tree guards):
 * - a field `.chain`, `.table`, `.iface`, `.bridge`, `.master` or `.dev` (the snapshot's and model's names for them);
 * - `.name` of a thing that is one: named so (`chain`, `br`, `hostVeth`, `outBridge`…), or bound to an element of a
 *   collection of them (`s.nftables.chains.filter((c) => …)`, `for (const t of fw.tables)`, `host.interfaces.get(…)`);
 * - a local named so (`chain`, `iface`, `bridgeName`…), bound to such a name (`const n = c.name`), or an element of a
 *   collection of them (`[...chains].some((n) => …)`, `for (const [name] of host.interfaces)`).
 */
const NAME_FIELDS = new Set(['chain', 'table', 'iface', 'bridge', 'master', 'dev']);
const NAME_LOCALS = /^(chain|table|iface|ifname|bridge|master|dev)(Name)?$|(Chain|Table|Iface|Bridge|Master)(Name)?$/;
const THING_NAMES = /^(chain|table|iface|bridge|br|link|master|veth|hostVeth)$|(Chain|Table|Iface|Bridge|Link|Veth)$/;
// Not `links`: a container's legacy links (`/name:alias`) are called that too.
const COLLECTION_NAMES = /^(chains|tables|interfaces|ifaces|bridges|veths)$|(Chains|Tables|Interfaces|Ifaces|Bridges|Veths)$/;
/** Calls that keep a collection a collection of the same things. */
const KEEPS_COLLECTION = new Set(['values', 'filter', 'slice', 'sort', 'toSorted', 'concat', 'reverse', 'toReversed']);
/** Calls that pick one thing of a collection. */
const PICKS_ONE = new Set(['get', 'find', 'findLast', 'at']);
/** Array methods whose callback's first parameter is an element (reduce's is its second). */
const ITERATES = new Set(['some', 'every', 'filter', 'find', 'findLast', 'findIndex', 'map', 'flatMap', 'forEach', 'sort', 'toSorted']);
/** String methods that find or take apart a name by its pattern. */
const NAME_PATTERNS = new Set([...SEARCHES, 'match', 'matchAll', 'search', 'replace', 'replaceAll', 'split']);
/** Calls that keep a name a name. */
const KEEPS_NAME = new Set(['trim', 'toLowerCase', 'toUpperCase', 'slice', 'substring', 'normalize']);

const lastName = (e: ts.Expression): string | null => {
  const x = core(e);
  if (ts.isIdentifier(x)) return x.text;
  if (ts.isPropertyAccessExpression(x)) return x.name.text;
  if (ts.isElementAccessExpression(x) && ts.isStringLiteral(x.argumentExpression)) return x.argumentExpression.text;
  return null;
};
const calledMethod = (x: ts.Expression): [string, ts.Expression] | null =>
  ts.isCallExpression(x) && ts.isPropertyAccessExpression(x.expression) ? [x.expression.name.text, x.expression.expression] : null;

/** Per-file bindings the name heuristic follows: locals that hold a name, locals that hold an element of a collection. */
interface NameBindings {
  names: Set<string>;
  elements: Set<string>;
}

function isCollection(e: ts.Expression): boolean {
  const x = core(e);
  const name = lastName(x);
  if (name !== null) return COLLECTION_NAMES.test(name);
  const m = calledMethod(x);
  if (m && KEEPS_COLLECTION.has(m[0])) return isCollection(m[1]);
  // Array.from(chains), Object.values(tables)
  if (ts.isCallExpression(x) && ts.isPropertyAccessExpression(x.expression) && ['from', 'values'].includes(x.expression.name.text) && x.arguments[0]) return isCollection(x.arguments[0]);
  if (ts.isArrayLiteralExpression(x) && x.elements.length === 1 && x.elements[0] && ts.isSpreadElement(x.elements[0])) return isCollection(x.elements[0].expression);
  return false;
}

function isThing(e: ts.Expression, b: NameBindings): boolean {
  const x = core(e);
  if (ts.isIdentifier(x)) return THING_NAMES.test(x.text) || b.elements.has(x.text);
  if (ts.isPropertyAccessExpression(x)) return THING_NAMES.test(x.name.text);
  if (ts.isElementAccessExpression(x)) return isCollection(x.expression);
  const m = calledMethod(x);
  return m !== null && PICKS_ONE.has(m[0]) && isCollection(m[1]);
}

function isName(e: ts.Expression, b: NameBindings): boolean {
  const x = core(e);
  if (ts.isIdentifier(x)) return NAME_LOCALS.test(x.text) || b.names.has(x.text) || b.elements.has(x.text);
  const field = ts.isPropertyAccessExpression(x) || ts.isElementAccessExpression(x) ? lastName(x) : null;
  if (field !== null) return NAME_FIELDS.has(field) || (field === 'name' && isThing((x as ts.PropertyAccessExpression | ts.ElementAccessExpression).expression, b));
  const m = calledMethod(x);
  return m !== null && KEEPS_NAME.has(m[0]) && isName(m[1], b);
}

/** The locals of a file bound to names or to elements of collections (by name, not scope: see above). */
function nameBindings(sf: ts.SourceFile): NameBindings {
  const b: NameBindings = { names: new Set(), elements: new Set() };
  // An element: a thing (or a name, for a collection of names); destructured, its `name` (or a Map entry's key) is a name.
  const bindElement = (n: ts.BindingName) => {
    if (ts.isIdentifier(n)) b.elements.add(n.text);
    else if (ts.isObjectBindingPattern(n)) for (const el of n.elements) { if ((el.propertyName ?? el.name).getText(sf) === 'name' && ts.isIdentifier(el.name)) b.names.add(el.name.text); }
    else if (ts.isArrayBindingPattern(n)) n.elements.forEach((el, i) => { if (ts.isBindingElement(el) && ts.isIdentifier(el.name)) (i === 0 ? b.names : b.elements).add(el.name.text); });
  };
  // Twice: a binding found late (`const n = c.name` above the loop over chains that binds c) still counts.
  for (let pass = 0; pass < 2; pass++) {
    const visit = (n: ts.Node): void => {
      if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer) {
        if (isName(n.initializer, b)) b.names.add(n.name.text);
        else if (isThing(n.initializer, b)) b.elements.add(n.name.text);
      }
      if (ts.isForOfStatement(n) && isCollection(n.expression) && ts.isVariableDeclarationList(n.initializer)) for (const d of n.initializer.declarations) bindElement(d.name);
      const m = ts.isCallExpression(n) ? calledMethod(n) : null;
      if (m && ts.isCallExpression(n) && (ITERATES.has(m[0]) || m[0] === 'reduce') && isCollection(m[1])) {
        const [cb] = n.arguments;
        const param = cb && (ts.isArrowFunction(cb) || ts.isFunctionExpression(cb)) ? cb.parameters[m[0] === 'reduce' ? 1 : 0] : undefined;
        if (param) bindElement(param.name);
        if (cb && m[0] === 'sort' && (ts.isArrowFunction(cb) || ts.isFunctionExpression(cb)) && cb.parameters[1]) bindElement(cb.parameters[1].name);
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return b;
}

/** `file: function: expression` for every name pattern and every literal of Docker's layout in one file. */
function layoutKnowledge(root: string, file: string): string[] {
  const sf = parse(root, file);
  const b = nameBindings(sf);
  const out: string[] = [];
  const report = (n: ts.Node) => out.push(`${file}: ${enclosing(n)}: ${n.getText(sf).replace(/\s+/g, ' ').slice(0, 120)}`);
  const regexConstructor = (n: ts.Node) => (ts.isNewExpression(n) || ts.isCallExpression(n)) && ts.isIdentifier(n.expression) && n.expression.text === 'RegExp';
  const visit = (n: ts.Node): void => {
    const m = ts.isCallExpression(n) ? calledMethod(n) : null;
    if (m && ts.isCallExpression(n)) {
      const [method, target] = m;
      const [arg] = n.arguments;
      // c.name.startsWith(…), chain.split(…), iface.match(/…/): a name read by its pattern.
      if (NAME_PATTERNS.has(method) && isName(target, b)) report(n);
      // /^br-/.test(iface), re.exec(c.name): a string has neither method, so the callee is a regex.
      else if (ON_REGEX.has(method) && arg && isName(arg, b)) report(n);
    }
    if ((ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) && !ts.isImportDeclaration(n.parent) && !ts.isExportDeclaration(n.parent)) {
      if (isLayoutText(n.text) || (regexConstructor(n.parent) && regexNamesLayout(n.text))) report(n);
    }
    if (ts.isTemplateExpression(n) && templateBuildsLayoutName(n)) report(n);
    if (ts.isRegularExpressionLiteral(n) && regexNamesLayout(n.text.slice(1, n.text.lastIndexOf('/')))) report(n);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** Every name pattern and layout literal in the tree below `root`, outside layouts.ts and the parsers. */
function allLayoutKnowledge(root: string): string[] {
  return SCOPE.flatMap((d) => sources(root, d))
    .filter((f) => f !== LAYOUTS && !PARSERS.some((re) => re.test(f)))
    .flatMap((f) => layoutKnowledge(root, f));
}

/**
 * Functions in scope that read text which is neither a rule's nor netdiag's: what a user types or configures, a
 * runtime's error message, characters escaped for a terminal. `file: function` → why it may.
 */
const ALLOWED: Record<string, string> = {
  'rules/query/resolve.ts: resolve': 'parses what a user types (host/name)',
  'rules/why/why.ts: askedName': 'the name as the user typed it (host/name)',
  'rules/why/why.ts: askedHow': 'how the user typed B (host/name, an address, an ID prefix)',
  'cli/files.ts: parseJson': "reads the position from JSON.parse's own error message",
  'cli/text.ts: terminalSafe': 'escapes control characters for a terminal',
  'cli/agent-failure.ts: alertOf': "reads the TLS alert an agent sent from OpenSSL's own error (TLS 1.2 puts it only in the message)",
  'cli/agent-failure.ts: plainPeer': "recognises OpenSSL's error for a plain-HTTP answer to a TLS handshake",
  'agent/server.ts: parseListen': 'parses the --listen address a user gives',
  'agent/server.ts: parseDuration': 'parses a duration a user gives',
  'agent/limits.ts: parseRate': 'parses the --rate-limit a user gives (5/s, 60/m)',
};
const allowed = (found: string) => Object.keys(ALLOWED).some((k) => found.startsWith(`${k}: `));

/** Every recovery of meaning from text in the tree below `root`, outside the parsers and the allowed functions. */
function allMeaningRecoveries(root: string, { withAllowed = false } = {}): string[] {
  return SCOPE.flatMap((d) => sources(root, d))
    .filter((f) => !PARSERS.some((re) => re.test(f)))
    .flatMap((f) => meaningRecoveries(root, f))
    .filter((f) => withAllowed || !allowed(f));
}

/** `file: function` of a finding (what KNOWN_OFFENDERS counts by: it survives edits elsewhere in the file). */
const where = (found: string) => found.split(': ').slice(0, 2).join(': ');

/**
 * Offenders still to remove, `file: function` → how many findings (recoveries from text, name patterns, layout
 * literals) it holds. The list may only shrink, and a count that no longer matches fails. What is left is Docker's
 * layout written outside rules/meaning/layouts.ts: a step netdiag writes imports the constant (ADMIN_CHAIN…) instead.
 */
const KNOWN_OFFENDERS: Record<string, number> = {};

/** Findings grouped by `file: function`. */
function byPlace(found: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of found) out.set(where(f), [...(out.get(where(f)) ?? []), f]);
  return out;
}

describe('meaning is not recovered from text, nor Docker’s layout written, outside the parsers and layouts.ts', () => {
  const found = byPlace([...allMeaningRecoveries(ROOT), ...allLayoutKnowledge(ROOT)]);

  it('no offender beyond the known ones', () => {
    const fresh = [...found].filter(([place, list]) => list.length > (KNOWN_OFFENDERS[place] ?? 0)).flatMap(([, list]) => list);
    expect(fresh).toEqual([]);
  });

  it('every known offender is still there (lower the count or delete the entry once one is fixed)', () => {
    const stale = Object.entries(KNOWN_OFFENDERS)
      .filter(([place, n]) => (found.get(place)?.length ?? 0) < n)
      .map(([place, n]) => `${place}: ${n} listed, ${found.get(place)?.length ?? 0} found`);
    expect(stale).toEqual([]);
  });

  it('every allowed function still reads text (an exemption outlives nothing it covered)', () => {
    const all = allMeaningRecoveries(ROOT, { withAllowed: true });
    expect(Object.keys(ALLOWED).filter((k) => !all.some((f) => f.startsWith(`${k}: `)))).toEqual([]);
  });
});

describe('the meaning guard on a planted tree', () => {
  const { root, plant } = plantedTree('netdiag-meaning-');
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  plant(
    'rules/why/bad.ts',
    [
      '// planted offenders',
      'const DROP = /-j DROP$/;',
      'export function code(d: { text?: string; reason: string }, rule: { text: string }, step: { note: string }) {',
      "  if (/-A DOCKER-ISOLATION/.test(d.text ?? '')) return 'isolation';",
      '  if (DROP.test(rule.text)) return 1;',
      "  if (new RegExp('only on 127').exec(d.reason)) return 2;",
      '  if (rule.text.match(/-o (\\S+)/)) return 3;',
      "  if (rule.text.includes('-j DROP')) return 4;",
      "  if (rule.text.startsWith('-A DOCKER')) return 5;",
      "  if (step.note.replace(/x/g, '') === '') return 6;",
      "  const ids = { re: /a|b/g };",
      "  if (rule.text.replace(ids.re, 'x')) return 9;",
      '  if (JSON.stringify(rule).split(/,/).length) return 7;',
      '  const text = rule.text;',
      '  const t = `${step.note}!`;',
      '  if (/!$/.test(t)) return 8;',
      '  return text.search(/DROP/);',
      '}',
    ].join('\n'),
  );
  plant(
    'rules/why/fine.ts',
    [
      '// what the guard leaves alone: IDs, typed fields, names, arrays',
      "import { ADMIN_CHAIN } from '../meaning/layouts.js';",
      "export const ok = (id: string, d: { code: string; chain: string }, names: string[]) => /^fx-[0-9a-f]{8}$/.test(id) && d.code === 'isolation' && d.chain === ADMIN_CHAIN && names.includes('x');",
    ].join('\n'),
  );
  plant('present/escape.ts', "// escaping output is allowed\nexport const esc = (d: { title: string }) => d.title.replace(/[&<>]/g, (c) => `&#${c.charCodeAt(0)};`);\n");
  plant('rules/iptables/parse.ts', "// a parser reads text\nexport const p = (rule: { text: string }) => /-j (\\S+)/.exec(rule.text);\n");
  plant('collectors/tool.ts', "// collectors parse tool output\nexport const p = (text: string) => /x/.test(text);\n");

  it('reports a regex on `.text` and every other form of reading meaning from text', () => {
    expect(allMeaningRecoveries(root)).toEqual([
      "rules/why/bad.ts: code: /-A DOCKER-ISOLATION/.test(d.text ?? '')",
      'rules/why/bad.ts: code: DROP.test(rule.text)',
      "rules/why/bad.ts: code: new RegExp('only on 127').exec(d.reason)",
      'rules/why/bad.ts: code: rule.text.match(/-o (\\S+)/)',
      "rules/why/bad.ts: code: rule.text.includes('-j DROP')",
      "rules/why/bad.ts: code: rule.text.startsWith('-A DOCKER')",
      "rules/why/bad.ts: code: step.note.replace(/x/g, '')",
      "rules/why/bad.ts: code: rule.text.replace(ids.re, 'x')",
      'rules/why/bad.ts: code: JSON.stringify(rule).split(/,/)',
      'rules/why/bad.ts: code: /!$/.test(t)',
      'rules/why/bad.ts: code: text.search(/DROP/)',
    ]);
  });
});

describe('the layout guard on a planted tree', () => {
  const tree = plantedTree('netdiag-layout-');
  const root = tree.root;
  const plant = (file: string, lines: string[]) => tree.plant(file, [`// planted: ${file}`, ...lines, ''].join('\n'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  // A name read by its pattern, one file per form; the pattern is passed in, so only the form can be what is caught.
  plant('rules/a/iterated-name.ts', ['export const f = (s: { nftables: { chains: { name: string }[] } }, p: string) => s.nftables.chains.filter((c) => c.name.startsWith(p));']);
  plant('rules/a/chain-field.ts', ['export const f = (d: { chain: string }, p: string) => d.chain.endsWith(p);']);
  plant('rules/a/table-field.ts', ['export const f = (r: { table: string }, p: string) => r.table.includes(p);']);
  plant('rules/a/bridge-index.ts', ['export const f = (ep: { bridge: string }, sep: string) => ep.bridge.indexOf(sep);']);
  plant('rules/a/master-match.ts', ['export const f = (l: { master: string }, re: RegExp) => l.master.match(re);']);
  plant('rules/a/iface-test.ts', ["const bridgePattern = new RegExp(process.argv[2] ?? '');", 'export const f = (iface: string) => bridgePattern.test(iface);']);
  plant('rules/a/picked-exec.ts', ['export const f = (host: { interfaces: Map<string, { name: string }> }, re: RegExp, k: string) => re.exec(host.interfaces.get(k)!.name);']);
  plant('rules/a/entries.ts', ['export function f(host: { interfaces: Map<string, unknown> }, sep: string) {', '  for (const [name] of host.interfaces) if (name.split(sep).length > 1) return name;', '  return null;', '}']);
  plant('rules/a/spread.ts', ['export const f = (chains: Set<string>, p: string) => [...chains].some((n) => n.startsWith(p));']);
  plant('rules/a/alias.ts', ['export function f(t: { chains: { name: string }[] }, p: string) {', '  for (const c of t.chains) {', '    const n = c.name.trim();', "    if (n.replace(p, '') === '') return c;", '  }', '  return null;', '}']);
  plant('cli/b/named-local.ts', ['export const f = (bridgeName: string, p: string) => bridgeName.startsWith(p);']);
  // Docker's layout written out, one file per form.
  plant('rules/c/literal.ts', ["export const isAdmin = (chain: string) => chain === 'DOCKER-USER';"]);
  plant('present/c/keys.ts', ["export const colour: Record<string, string> = { 'docker0': 'blue' };", 'export function g(c: string) {', '  switch (c) {', "    case 'DOCKER': return 1;", '  }', '  return 0;', '}']);
  plant('rules/c/built.ts', ['export const bridgeOf = (id: string) => `br-${id.slice(0, 12)}`;']);
  plant('rules/c/prose-built.ts', ['export const evidence = (b: string) => `no chain filter-forward-in__${b} in table ip x`;']);
  plant('rules/c/separator.ts', ['export const chainOf = (purpose: string, bridge: string) => `${purpose}__${bridge}`;']);
  plant('rules/c/regex.ts', ['export const docker = (s: string) => /^(docker0|br-[0-9a-f]{12})$/.test(s);']);
  plant('rules/c/regexp-string.ts', ["export const isolation = new RegExp('^DOCKER-ISOLATION');"]);
  plant('agent/c/comment.ts', ["export const direct = (r: { comment: string | null }) => r.comment === 'DROP DIRECT ACCESS';"]);
  plant('rules/c/literal-type.ts', ["export type Chain = 'DOCKER' | 'DOCKER-USER';"]);
  plant('actuation/c/template.ts', ['export const step = { family: 4, table: `docker-bridges` };']);

  // What the guard leaves alone: the constants, lookups, prose, comments, fix kinds, other things' names.
  plant('rules/d/clean.ts', [
    "import { ADMIN_CHAIN, DOCKER_CHAINS, DOCKER_NFT_TABLES } from '../meaning/layouts.js';",
    '/** DOCKER-USER, docker0 and br-<id> named in a comment do not count: `filter-forward-in__docker0`. */',
    'export function clean(s: { networks: { name: string }[]; chains: string[] }, c: { name: string }, d: { chain: string; table: string; target: string }, names: string[], prefix: string, br: string) {',
    '  // DOCKER-USER survives restarts',
    "  const step = { kind: 'iptables-insert', table: 'filter', chain: ADMIN_CHAIN, fixKind: 'docker-user', next: 'docker-network-connect' };",
    '  const mine = c.name === ADMIN_CHAIN || DOCKER_CHAINS.has(d.chain) || DOCKER_NFT_TABLES.has(d.table) || s.chains.includes(ADMIN_CHAIN) || names.includes(c.name);',
    "  const nets = s.networks.filter((n) => n.name.startsWith(prefix));",
    "  const note = 'filter in DOCKER-USER: Docker leaves it to administrators';",
    '  const fix = `iptables -I DOCKER-USER -i ${br} -j ACCEPT`;',
    "  return [step, mine, nets, note, fix, d.target === 'MASQUERADE'];",
    '}',
    '// iptables matches `-i br-+` as a prefix: the kernel’s wildcard, not a name pattern of Docker’s.',
    "export const ifaceMatches = (pattern: string, name: string) => (pattern.endsWith('+') ? name.startsWith(pattern.slice(0, -1)) : name === pattern);",
  ]);
  plant('rules/meaning/layouts.ts', ["export const ADMIN_CHAIN = 'DOCKER-USER';", "export const isDockerBridgeChain = (chain: string) => chain.startsWith('filter-forward-in__');"]);
  plant('rules/nftables/text.ts', ["export const sep = (chain: string) => chain.indexOf('__') + 'docker-bridges'.length;"]);
  plant('collectors/links.ts', ["export const docker = (iface: string) => /^br-/.test(iface) || iface === 'docker0';"]);
  plant('bench/run.ts', ["export const chain = 'DOCKER';"]);

  // Every literal the issue names, one file each.
  const ISSUE_LITERALS = [
    'DOCKER', 'DOCKER-USER', 'DOCKER-ISOLATION-STAGE-1', 'DOCKER-ISOLATION-STAGE-2', 'DOCKER-FORWARD', 'DOCKER-BRIDGE', 'DOCKER-CT',
    'DOCKER-INTERNAL', 'DOCKER-INGRESS', 'docker-bridges', 'docker-dns', 'docker0', 'br-', 'filter-forward-in__', 'filter-forward-out__',
    'nat-postrouting-in__', 'nat-postrouting-out__', 'raw-PREROUTING', 'filter-FORWARD', 'DROP DIRECT ACCESS', 'UNPUBLISHED PORT DROP',
    'ICC', 'INTERNAL NETWORK INGRESS', 'INTERNAL NETWORK EGRESS', 'DROP REMOTE LOOPBACK', 'docker-ext-bridges-v4',
  ];
  ISSUE_LITERALS.forEach((lit, i) => plant(`rules/each/l${String(i).padStart(2, '0')}.ts`, [`export const x = ${JSON.stringify(lit)};`]));

  const found = allLayoutKnowledge(root);

  it('reports a name read by its pattern, in every form, and nothing in the clean file, layouts.ts, the parsers or beyond the scope', () => {
    expect(found.filter((f) => !f.startsWith('rules/each/') && !/^\S+\/c\//.test(f)).sort()).toEqual([
      'cli/b/named-local.ts: f: bridgeName.startsWith(p)',
      "rules/a/alias.ts: f: n.replace(p, '')",
      'rules/a/bridge-index.ts: f: ep.bridge.indexOf(sep)',
      'rules/a/chain-field.ts: f: d.chain.endsWith(p)',
      'rules/a/entries.ts: f: name.split(sep)',
      'rules/a/iface-test.ts: f: bridgePattern.test(iface)',
      'rules/a/iterated-name.ts: f: c.name.startsWith(p)',
      'rules/a/master-match.ts: f: l.master.match(re)',
      'rules/a/picked-exec.ts: f: re.exec(host.interfaces.get(k)!.name)',
      'rules/a/spread.ts: f: n.startsWith(p)',
      'rules/a/table-field.ts: f: r.table.includes(p)',
    ]);
  });

  it('reports Docker’s layout written out: a literal, a key, a case, a type, a built name, a regex, a comment', () => {
    expect(found.filter((f) => /^\S+\/c\//.test(f)).sort()).toEqual([
      'actuation/c/template.ts: step: `docker-bridges`',
      "agent/c/comment.ts: direct: 'DROP DIRECT ACCESS'",
      "present/c/keys.ts: colour: 'docker0'",
      "present/c/keys.ts: g: 'DOCKER'",
      'rules/c/built.ts: bridgeOf: `br-${id.slice(0, 12)}`',
      "rules/c/literal-type.ts: <module>: 'DOCKER'",
      "rules/c/literal-type.ts: <module>: 'DOCKER-USER'",
      "rules/c/literal.ts: isAdmin: 'DOCKER-USER'",
      'rules/c/prose-built.ts: evidence: `no chain filter-forward-in__${b} in table ip x`',
      'rules/c/regex.ts: docker: /^(docker0|br-[0-9a-f]{12})$/',
      "rules/c/regexp-string.ts: isolation: '^DOCKER-ISOLATION'",
      'rules/c/separator.ts: chainOf: `${purpose}__${bridge}`',
    ]);
  });

  it('reports every literal the issue names', () => {
    expect(found.filter((f) => f.startsWith('rules/each/'))).toEqual(ISSUE_LITERALS.map((lit, i) => `rules/each/l${String(i).padStart(2, '0')}.ts: x: ${JSON.stringify(lit)}`));
  });

  it('the meaning guard itself finds nothing in the planted clean file', () => {
    expect(allMeaningRecoveries(root).filter((f) => f.startsWith('rules/d/'))).toEqual([]);
  });
});
