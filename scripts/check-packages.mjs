// Checks what each package would publish (run after `npm run build`): the files `npm pack` takes,
// the metadata npm shows, then publint (package.json against the files) and arethetypeswrong
// (types resolve as the JavaScript does). Exits 1 naming every problem found.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = (name) => join(root, 'node_modules/.bin', name);
const packages = readdirSync(join(root, 'packages')).map((name) => join('packages', name));

// Tests, type tests, test helpers and build bookkeeping stay in the repository.
const notShipped = [
  /\.test\.[cm]?[jt]s/,
  /\.test-d\./,
  /(^|\/)test-support\//,
  /test-helpers\./,
  /\.tsbuildinfo$/,
];
const required = ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts'];
const requiredFields = ['description', 'license', 'keywords', 'homepage', 'repository', 'exports', 'files'];

const problems = [];
for (const folder of packages) {
  const manifest = JSON.parse(readFileSync(join(root, folder, 'package.json'), 'utf8'));
  const name = manifest.name;
  for (const field of requiredFields) {
    if (manifest[field] === undefined) problems.push(`${name}: package.json has no "${field}"`);
  }
  const [packed] = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: join(root, folder),
      encoding: 'utf8',
    }),
  );
  const files = packed.files.map((file) => file.path);
  for (const file of files.filter((path) => notShipped.some((pattern) => pattern.test(path)))) {
    problems.push(`${name}: would publish ${file}`);
  }
  for (const file of required.filter((path) => !files.includes(path))) {
    problems.push(
      `${name}: would not publish ${file}${file.startsWith('dist/') ? ' (run `npm run build`)' : ''}`,
    );
  }
  for (const [tool, args] of [
    ['publint', ['--strict', folder]],
    ['attw', ['--pack', folder, '--profile', 'esm-only', '--format', 'ascii', '--no-color']],
  ]) {
    try {
      execFileSync(bin(tool), args, { cwd: root, encoding: 'utf8', stdio: 'pipe' });
    } catch (error) {
      problems.push(`${name}: ${tool} failed:\n${error.stdout}${error.stderr}`);
    }
  }
  console.log(`${name}: ${files.length} files checked with publint and arethetypeswrong`);
}

if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`all ${packages.length} packages are ready to publish`);
