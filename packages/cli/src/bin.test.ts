import { execFile, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, temporaryFolder } from './test-support/cli-harness.js';

const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(repositoryRoot, 'packages/cli/dist/bin.js');
const folder = temporaryFolder();

/** Builds the CLI and the packages it imports, as `npm run build` would, so a clean clone works. */
async function build(): Promise<void> {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  // Other test files may be building the same packages at this moment: a build that failed on
  // half-written output is tried again.
  for (let attempt = 1; ; attempt += 1) {
    try {
      execFileSync(process.execPath, [tsc, '-b', 'packages/cli'], { cwd: repositoryRoot, stdio: 'pipe' });
      return;
    } catch (error) {
      if (attempt === 3) throw error;
      await sleep(3_000);
    }
  }
}

function hindsight(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: folder.path, env: {} }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr });
    });
  });
}

beforeAll(build, 180_000);
afterAll(() => folder.remove());

describe('the built hindsight bin', () => {
  it('starts, prints help and exits 0', async () => {
    const result = await hindsight(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: hindsight <command>/);
  });

  it('creates the default SQLite store and exits 1 with a message on errors', async () => {
    const migrated = await hindsight(['migrate']);
    expect(migrated.code).toBe(0);
    expect(migrated.stderr).toContain(join(folder.path, '.hindsight/events.db'));
    const unknown = await hindsight(['stream', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no stream "nope"');
  });

  it('serves the explorer with its compiled page script from dist', async () => {
    const child = spawn(process.execPath, [bin, 'explore', '--port', '0', '--json'], {
      cwd: folder.path,
      env: {},
    });
    try {
      const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
      const { url } = JSON.parse(chunk.toString()) as { url: string };
      const page = await fetch(`${url}/`);
      expect(await page.text()).toContain('<script type="module" src="/explorer.js"></script>');
      const script = await fetch(`${url}/explorer.js`);
      expect(script.status).toBe(200);
      expect(await script.text()).toContain('fetch(`/api/');
    } finally {
      child.kill('SIGINT');
      await once(child, 'exit');
    }
  });
});

describe('npx hindsight at the repository root', () => {
  it('runs this CLI through a bin file that exists before any build', async () => {
    // npm links a workspace's bin at install time, before `npm run build`: a bin inside dist/ would
    // get no link in a fresh clone, and `npx hindsight` would fetch the registry's unrelated package.
    const manifest = JSON.parse(readFileSync(join(repositoryRoot, 'packages/cli/package.json'), 'utf8'));
    const target = manifest.bin.hindsight as string;
    expect(target).not.toMatch(/dist\//);
    const tracked = execFileSync('git', ['ls-files', '--error-unmatch', join('packages/cli', target)], {
      cwd: repositoryRoot,
      encoding: 'utf8',
    });
    expect(tracked.trim()).toBe('packages/cli/bin/hindsight.js');
    expect(realpathSync(join(repositoryRoot, 'node_modules/.bin/hindsight'))).toBe(
      realpathSync(join(repositoryRoot, 'packages/cli', target)),
    );

    const result = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile('npx', ['--no-install', 'hindsight', '--help'], { cwd: repositoryRoot }, (error, stdout) => {
        resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout });
      });
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: hindsight <command>/);
  });
});
