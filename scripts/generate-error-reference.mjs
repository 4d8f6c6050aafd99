// Writes docs/reference/errors.md from the code: the codes of core's `HindsightErrorCode` union,
// the error classes that carry them (with their TSDoc and readonly fields), and, for codes thrown
// as a plain `HindsightError`, where and with what message. With --check it writes nothing and
// fails when the page is out of date (a test runs it so).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('..', import.meta.url));
const pagePath = join(root, 'docs/reference/errors.md');
const packages = ['core', 'sqlite', 'postgres', 'nats'];

function sourceFiles(folder) {
  const files = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(path));
    else if (/(?<!\.test|\.test-d|\.d)\.ts$/.test(entry.name)) files.push(path);
  }
  return files.sort();
}

function parse(path) {
  return ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
}

function visit(node, callback) {
  callback(node);
  ts.forEachChild(node, (child) => visit(child, callback));
}

/** The TSDoc summary of a node (without tags such as @example), on one line. */
function summary(node) {
  const [doc] = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc);
  const text = doc === undefined ? '' : (ts.getTextOfJSDocComment(doc.comment) ?? '');
  return text.replace(/\s+/g, ' ').trim();
}

/** A message argument as readers see it: literal text, with `…` for each interpolated value. */
function messageText(node) {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node)) {
    return node.head.text + node.templateSpans.map((span) => `…${span.literal.text}`).join('');
  }
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    return messageText(node.left) + messageText(node.right);
  }
  if (ts.isParenthesizedExpression(node)) return messageText(node.expression);
  return '…';
}

const errorFiles = sourceFiles(join(root, 'packages/core/src/errors')).map(parse);

const codes = [];
for (const file of errorFiles) {
  // The union is read off the `hindsightErrorCodes` list (`[...] as const`).
  visit(file, (node) => {
    if (!ts.isVariableDeclaration(node) || node.name.getText(file) !== 'hindsightErrorCodes') return;
    const list =
      node.initializer !== undefined && ts.isAsExpression(node.initializer)
        ? node.initializer.expression
        : undefined;
    if (list === undefined || !ts.isArrayLiteralExpression(list)) return;
    for (const element of list.elements) if (ts.isStringLiteral(element)) codes.push(element.text);
  });
}
if (codes.length === 0) throw new Error('hindsightErrorCodes not found in packages/core/src/errors');

// Error classes: every class in core's errors folder whose chain of `extends` reaches HindsightError.
const declared = new Map();
for (const file of errorFiles) {
  visit(file, (node) => {
    if (!ts.isClassDeclaration(node) || node.name === undefined) return;
    const heritage = node.heritageClauses?.find((clause) => clause.token === ts.SyntaxKind.ExtendsKeyword);
    const base = heritage?.types[0]?.expression.getText(file);
    let code;
    const fields = [];
    for (const member of node.members) {
      if (ts.isConstructorDeclaration(member) && member.body !== undefined) {
        visit(member.body, (inner) => {
          const [first] = ts.isCallExpression(inner) ? inner.arguments : [];
          if (inner.expression?.kind === ts.SyntaxKind.SuperKeyword && first && ts.isStringLiteral(first)) {
            code = first.text;
          }
        });
      }
      const readonly = member.modifiers?.some((modifier) => modifier.kind === ts.SyntaxKind.ReadonlyKeyword);
      if (ts.isPropertyDeclaration(member) && readonly && member.type !== undefined) {
        fields.push({
          name: member.name.getText(file),
          type: member.type.getText(file),
          doc: summary(member),
        });
      }
    }
    declared.set(node.name.text, { name: node.name.text, base, code, fields, doc: summary(node) });
  });
}
const isError = (name) =>
  name === 'HindsightError' || (declared.has(name) && isError(declared.get(name).base ?? ''));
const classByCode = new Map();
for (const error of declared.values()) {
  if (error.name !== 'HindsightError' && isError(error.name) && error.code !== undefined) {
    classByCode.set(error.code, error);
  }
}

// Codes thrown as a plain HindsightError: where, with what message, and whether retryable.
const thrown = new Map();
for (const name of packages) {
  for (const path of sourceFiles(join(root, `packages/${name}/src`))) {
    const file = parse(path);
    visit(file, (node) => {
      if (!ts.isNewExpression(node) || node.expression.getText(file) !== 'HindsightError') return;
      const [code, message, options] = node.arguments ?? [];
      if (code === undefined || !ts.isStringLiteral(code)) return;
      const retryable = options !== undefined && /retryable:\s*true/.test(options.getText(file));
      const sites = thrown.get(code.text) ?? [];
      sites.push({
        package: `@hindsight/${name}`,
        file: relative(root, path),
        message: message === undefined ? '' : messageText(message),
        retryable,
      });
      thrown.set(code.text, sites);
    });
  }
}

const cell = (text) => text.replace(/\|/g, '\\|');
const lines = [
  '# Error codes',
  '',
  `<!-- Generated by scripts/generate-error-reference.mjs from the source of ${packages.map((name) => `@hindsight/${name}`).join(', ')}, @hindsight/cli:`,
  '     do not edit; run `npm run docs:errors`. -->',
  '',
  'Every error Hindsight throws is a `HindsightError` (or a subclass of it, one per kind that carries',
  'data). Each has a stable `code` (match on it, never on messages), `retryable` (true when the same call',
  'may succeed if simply tried again), the domain data of its kind in readonly fields, and the',
  'original error as `cause` where there is one.',
  '',
  '`isHindsightError(error, code)` checks the code and narrows the type to the class below, and keeps',
  'working when two copies of the package end up in one application (where `instanceof` would not).',
  'The codes the `hindsight` command prints are [at the end](#the-hindsight-command-and-the-explorer).',
  '',
  '| code | class | when |',
  '| ---- | ----- | ---- |',
];
for (const code of codes) {
  const error = classByCode.get(code);
  const sites = thrown.get(code) ?? [];
  const when =
    error?.doc ??
    (sites.length > 0
      ? [...new Set(sites.map((site) => site.message))].join(' / ')
      : 'not thrown by these packages');
  lines.push(
    `| [\`${code}\`](#${code.toLowerCase().replace(/_/g, '-')}) | \`${error?.name ?? 'HindsightError'}\` | ${cell(when)} |`,
  );
}
for (const code of codes) {
  const error = classByCode.get(code);
  const sites = thrown.get(code) ?? [];
  lines.push('', `## ${code}`, '');
  if (error !== undefined) {
    lines.push(`Class \`${error.name}\`. ${error.doc}`);
    if (error.fields.length > 0) {
      lines.push('', '| field | type | |', '| ----- | ---- | - |');
      for (const field of error.fields) {
        lines.push(`| \`${field.name}\` | \`${cell(field.type)}\` | ${cell(field.doc)} |`);
      }
    }
  } else if (sites.length > 0) {
    lines.push('Thrown as a plain `HindsightError` (no fields besides `code`, `retryable` and `cause`).');
  }
  if (sites.length > 0) {
    lines.push('', error === undefined ? 'Where:' : 'Also thrown as a plain `HindsightError`:', '');
    for (const site of sites) {
      const retry = site.retryable ? ' (`retryable: true`)' : '';
      lines.push(`- \`${site.package}\` (\`${site.file}\`)${retry}: "${site.message}"`);
    }
  }
  if (error === undefined && sites.length === 0) {
    lines.push('Declared in `HindsightErrorCode`; none of these packages throws it at present.');
  }
}

// The CLI's own codes (`cliErrorCodes`, with when each is raised) and the HTTP status the explorer
// answers each with (`statusByCode`).
function objectLiteral(path, name) {
  const file = parse(join(root, path));
  let found;
  visit(file, (node) => {
    if (!ts.isVariableDeclaration(node) || node.name.getText(file) !== name) return;
    let value = node.initializer;
    while (value !== undefined && (ts.isAsExpression(value) || ts.isSatisfiesExpression(value))) {
      value = value.expression;
    }
    if (value !== undefined && ts.isObjectLiteralExpression(value)) found = value;
  });
  if (found === undefined) throw new Error(`${name} not found in ${path}`);
  return found.properties.filter(ts.isPropertyAssignment).map((property) => {
    const value = property.initializer;
    return [property.name.getText(file), ts.isStringLiteralLike(value) ? value.text : value.getText(file)];
  });
}
const cliCodes = objectLiteral('packages/cli/src/internal/cli-error.ts', 'cliErrorCodes');
const statuses = new Map(objectLiteral('packages/cli/src/explorer/explorer-server.ts', 'statusByCode'));
lines.push(
  '',
  '## The `hindsight` command and the explorer',
  '',
  'The CLI prints a code with every error, in text (`hindsight events: error: [UNKNOWN_OPTION] unknown',
  'option --folow`) and with `--json` (`{"error":{"code":…,"message":…}}` on stderr), and exits 1.',
  'When the store refused something the code is the `HindsightError` code above',
  "(`CONCURRENCY_CONFLICT`, …); otherwise it is one of the CLI's own. The explorer's JSON API answers",
  'errors with the same body and the HTTP status below.',
  '',
  '| code | explorer status | when |',
  '| ---- | --------------- | ---- |',
);
for (const [code, when] of cliCodes) {
  lines.push(`| \`${code}\` | ${statuses.get(code) ?? '-'} | ${cell(when)} |`);
}
const page = `${lines.join('\n')}\n`;

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(pagePath, 'utf8');
  } catch {}
  if (current !== page) {
    console.error('docs/reference/errors.md is out of date: run `npm run docs:errors`');
    process.exit(1);
  }
  console.log('docs/reference/errors.md is up to date');
} else {
  writeFileSync(pagePath, page);
  console.log(`docs/reference/errors.md: ${codes.length} codes`);
}
