// Meaning is decided once, from parsed rules and Docker's data: no regular expression (or string search) recovers it
// from rule text or from netdiag's own sentences outside the parsers. Read with the TypeScript compiler, not a pattern.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, sources } from './source-files.js';

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
 * Functions in scope that read text which is neither a rule's nor netdiag's: what a user types or configures, a
 * runtime's error message, characters escaped for a terminal. `file: function` → why it may.
 */
const ALLOWED: Record<string, string> = {
  'rules/query/resolve.ts: resolve': 'parses what a user types (host/name)',
  'rules/why/why.ts: askedName': 'the name as the user typed it (host/name)',
  'cli/files.ts: parseJson': "reads the position from JSON.parse's own error message",
  'cli/text.ts: terminalSafe': 'escapes control characters for a terminal',
  'agent/server.ts: parseListen': 'parses the --listen address a user gives',
  'agent/server.ts: parseDuration': 'parses a duration a user gives',
};
const allowed = (found: string) => Object.keys(ALLOWED).some((k) => found.startsWith(`${k}: `));

/** Every recovery of meaning from text in the tree below `root`, outside the parsers and the allowed functions. */
function allMeaningRecoveries(root: string, { withAllowed = false } = {}): string[] {
  return SCOPE.flatMap((d) => sources(root, d))
    .filter((f) => !PARSERS.some((re) => re.test(f)))
    .flatMap((f) => meaningRecoveries(root, f))
    .filter((f) => withAllowed || !allowed(f));
}

/** `file: function` of a found recovery (what KNOWN_OFFENDERS counts by: it survives edits elsewhere in the file). */
const where = (found: string) => found.split(': ').slice(0, 2).join(': ');

/**
 * Offenders still to remove, `file: function` → how many recoveries it holds. Empty since the rules' meaning is
 * decided once (rules/meaning): the list may only shrink, and a count that no longer matches fails.
 */
const KNOWN_OFFENDERS: Record<string, number> = {};

/** Found recoveries grouped by `file: function`. */
function byPlace(found: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of found) out.set(where(f), [...(out.get(where(f)) ?? []), f]);
  return out;
}

describe('meaning is not recovered from text outside the parsers', () => {
  const found = byPlace(allMeaningRecoveries(ROOT));

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
  const root = mkdtempSync(join(tmpdir(), 'netdiag-meaning-'));
  const plant = (file: string, text: string) => {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), text);
  };
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
      "export const ok = (id: string, d: { code: string; chain: string }, names: string[]) => /^fx-[0-9a-f]{8}$/.test(id) && d.code === 'isolation' && d.chain.startsWith('DOCKER') && names.includes('x');",
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
