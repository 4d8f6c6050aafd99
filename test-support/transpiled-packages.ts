import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const packagesRoot = fileURLToPath(new URL('../packages/', import.meta.url));

/**
 * Node 20 cannot run TypeScript, so tests that fork child processes hand them workspace packages
 * as JavaScript: each package's sources, types stripped file by file, into
 * `folder/node_modules/@hindsight/<name>` (so they import each other by name). No type check and no
 * dist: only `npm ci` is needed, and the workspace's build output is neither read nor written.
 * Returns each package's entry as a file URL.
 *
 * @example
 * ```ts
 * const entries = transpilePackages(folder, ['core', 'sqlite']);
 * fork(worker, [entries.sqlite]);
 * ```
 */
export function transpilePackages<const Name extends string>(
  folder: string,
  packages: readonly Name[],
): Record<Name, string> {
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'package.json'), JSON.stringify({ type: 'module' }));
  const entries = {} as Record<Name, string>;
  for (const name of packages) {
    const target = join(folder, 'node_modules', '@hindsight', name);
    stripTypes(join(packagesRoot, name, 'src'), target);
    writeFileSync(join(target, 'package.json'), JSON.stringify({ type: 'module', exports: './index.js' }));
    entries[name] = pathToFileURL(join(target, 'index.js')).href;
  }
  return entries;
}

function stripTypes(from: string, to: string): void {
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    if (entry.isDirectory()) stripTypes(source, join(to, entry.name));
    if (!entry.isFile() || !entry.name.endsWith('.ts') || /\.test(-d)?\.ts$/.test(entry.name)) continue;
    const { outputText } = ts.transpileModule(readFileSync(source, 'utf8'), {
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2023,
        verbatimModuleSyntax: true,
      },
    });
    mkdirSync(to, { recursive: true });
    writeFileSync(join(to, entry.name.replace(/\.ts$/, '.js')), outputText);
  }
}
