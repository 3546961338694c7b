// The project's own TypeScript read as the compiler reads it, for tests that check the code itself (floors, meaning).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import ts from 'typescript';

/** Every .ts file below `dir` (relative to `root`), as paths relative to `root`; none when the folder does not exist. */
export function sources(root: string, dir: string): string[] {
  if (!existsSync(join(root, dir))) return [];
  return readdirSync(join(root, dir))
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      if (statSync(join(root, p)).isDirectory()) return sources(root, p);
      return p.endsWith('.ts') ? [p] : [];
    });
}

export function parse(root: string, file: string): ts.SourceFile {
  return ts.createSourceFile(file, readFileSync(join(root, file), 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
}

export interface ImportRef {
  spec: string;
  /** Erased at compile time (`import type`, `export type … from`, `import('…')` in a type): no code runs. */
  typeOnly: boolean;
  line: number;
  form: 'import' | 'side-effect' | 'export-from' | 'dynamic' | 'import-type' | 'require';
}

/** Only `import type …` is erased: under verbatimModuleSyntax, `import { type A } from 'm'` still loads m. */
const clauseTypeOnly = (d: ts.ImportDeclaration) => d.importClause?.isTypeOnly === true;

/**
 * Every module a file names, in every form the language has: `import … from`, `import type`, side-effect `import '…'`,
 * `export … from`, `export * from`, dynamic `import('…')`, `import('…')` in a type, `import x = require('…')`, `require('…')`.
 */
export function importsOf(sf: ts.SourceFile): ImportRef[] {
  const out: ImportRef[] = [];
  const at = (n: ts.Node) => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n) && ts.isStringLiteral(n.moduleSpecifier)) {
      out.push({ spec: n.moduleSpecifier.text, typeOnly: clauseTypeOnly(n), line: at(n), form: n.importClause ? 'import' : 'side-effect' });
    } else if (ts.isExportDeclaration(n) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) {
      out.push({ spec: n.moduleSpecifier.text, typeOnly: n.isTypeOnly, line: at(n), form: 'export-from' });
    } else if (ts.isImportEqualsDeclaration(n) && ts.isExternalModuleReference(n.moduleReference) && ts.isStringLiteral(n.moduleReference.expression)) {
      out.push({ spec: n.moduleReference.expression.text, typeOnly: n.isTypeOnly, line: at(n), form: 'require' });
    } else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument) && ts.isStringLiteral(n.argument.literal)) {
      out.push({ spec: n.argument.literal.text, typeOnly: true, line: at(n), form: 'import-type' });
    } else if (ts.isCallExpression(n) && n.arguments.length > 0) {
      const [arg] = n.arguments;
      const dynamic = n.expression.kind === ts.SyntaxKind.ImportKeyword;
      const required = ts.isIdentifier(n.expression) && n.expression.text === 'require';
      if ((dynamic || required) && arg && ts.isStringLiteralLike(arg)) out.push({ spec: arg.text, typeOnly: false, line: at(n), form: dynamic ? 'dynamic' : 'require' });
      // A computed specifier cannot be checked against the floors: it is reported as such.
      else if (dynamic && arg) out.push({ spec: `<computed: ${arg.getText(sf)}>`, typeOnly: false, line: at(n), form: 'dynamic' });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** A temporary tree to plant files in (violations, clean uses) and run a checker over; the caller removes `root`. */
export function plantedTree(prefix: string): { root: string; plant: (file: string, text: string) => void } {
  const root = mkdtempSync(join(tmpdir(), prefix));
  return {
    root,
    plant(file, text) {
      mkdirSync(dirname(join(root, file)), { recursive: true });
      writeFileSync(join(root, file), text);
    },
  };
}
