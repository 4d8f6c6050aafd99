import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { HandlerFailedError } from './consumer-errors.js';
import { type ConcurrencyError, hindsightErrorCodes, isHindsightError } from './hindsight-error.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../../..');

/** The library's own source (tests excluded) of every package that throws Hindsight errors. */
function librarySource(): string {
  const texts: string[] = [];
  for (const pkg of ['core', 'postgres', 'sqlite']) {
    const dir = join(root, 'packages', pkg, 'src');
    for (const file of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts') || /\.test(-d)?\.ts$|\.int\.test\.ts$/.test(file)) continue;
      texts.push(readFileSync(join(dir, file), 'utf8'));
    }
  }
  return texts.join('\n');
}

describe('error codes', () => {
  it('are each thrown somewhere: a code no error carries is not listed', () => {
    const source = librarySource();
    const unthrown = hindsightErrorCodes.filter(
      (code) => !new RegExp(`(new HindsightError|super)\\(\\s*'${code}'`).test(source),
    );
    expect(unthrown).toEqual([]);
  });

  it("are each a row of the root README's error table", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const rows = new Set([...readme.matchAll(/^\| `([A-Z_]+)` +\|/gm)].map((match) => match[1]));
    expect(hindsightErrorCodes.filter((code) => !rows.has(code))).toEqual([]);
  });
});

describe('isHindsightError', () => {
  it('narrows to the class of the code, wherever the class is defined', () => {
    const error: unknown = new HandlerFailedError({ consumer: 'c', attempts: 1, cause: new Error('x') });
    if (isHindsightError(error, 'HANDLER_FAILED')) {
      expectTypeOf(error).toEqualTypeOf<HandlerFailedError>();
      expect(error.consumer).toBe('c');
    } else expect.unreachable();
    const other: unknown = error;
    if (isHindsightError(other, 'CONCURRENCY_CONFLICT')) {
      expectTypeOf(other).toEqualTypeOf<ConcurrencyError>();
    }
  });
});
