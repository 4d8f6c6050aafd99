import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as core from '@hindsight/core';
import { describe, expect, it } from 'vitest';
import { cliErrorCodes } from '../../packages/cli/src/internal/cli-error.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));

/** Runs a docs script in --check mode; resolves to its output, or rejects with it. */
async function check(script: string): Promise<string> {
  try {
    const { stdout } = await run(process.execPath, [script, '--check'], { cwd: root });
    return stdout;
  } catch (error) {
    throw new Error(`${script} --check failed:\n${(error as { stderr?: string }).stderr ?? String(error)}`);
  }
}

describe('generated and copied documentation', () => {
  it('shows every snippet of the README and the guides as it is in its checked file', async () => {
    expect(await check('scripts/sync-snippets.mjs')).toContain('in sync');
  });

  it('has an error-code page that matches the code', async () => {
    expect(await check('scripts/generate-error-reference.mjs')).toContain('up to date');
  });

  it('documents every error class core exports, under its code', () => {
    const page = readFileSync(new URL('../reference/errors.md', import.meta.url), 'utf8');
    const classes = Object.entries(core).filter(
      ([name, value]) =>
        typeof value === 'function' &&
        value.prototype instanceof core.HindsightError &&
        name.endsWith('Error'),
    );
    expect(classes.length).toBeGreaterThan(10);
    for (const [name] of classes) {
      expect(page).toMatch(new RegExp(`\\| \\[\`[A-Z_]+\`\\]\\(#[a-z-]+\\) \\| \`${name}\` \\|`));
    }
  });

  it("lists the codes of the hindsight command and the explorer, in the page and in the CLI's README", () => {
    const page = readFileSync(new URL('../reference/errors.md', import.meta.url), 'utf8');
    const section = page.slice(page.indexOf('## The `hindsight` command and the explorer'));
    const readme = readFileSync(new URL('../../packages/cli/README.md', import.meta.url), 'utf8');
    const codes = Object.keys(cliErrorCodes);
    expect(codes).toContain('STORE_NOT_MIGRATED');
    for (const code of codes) {
      expect(section).toMatch(new RegExp(`^\\| \`${code}\` \\| `, 'm'));
      expect(readme).toContain(`\`${code}\``);
    }
  });
});
