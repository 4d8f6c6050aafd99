import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { migrations } from './migrations.js';

const folder = new URL('./migrations/', import.meta.url);

describe('migrations', () => {
  it('are numbered 1, 2, 3… in order, each in a file of its own', () => {
    expect(migrations.map((migration) => migration.version)).toEqual(migrations.map((_, index) => index + 1));
    const files = readdirSync(folder).filter(
      (file) => /^v\d+-.+\.ts$/.test(file) && !file.includes('.test.'),
    );
    expect(files.map((file) => Number(/^v(\d+)-/.exec(file)?.[1])).sort((a, b) => a - b)).toEqual(
      migrations.map((migration) => migration.version),
    );
  });

  it('hold their SQL as frozen text: a migration imports nothing but the Migration type', () => {
    for (const file of readdirSync(folder).filter((name) => /^v\d+-.+\.ts$/.test(name))) {
      const source = readFileSync(new URL(file, folder), 'utf8');
      const imports = [...source.matchAll(/^import\s.*?from\s+'([^']+)'/gms)].map((match) => match[1]);
      expect({ file, imports }).toEqual({ file, imports: ['./migration.js'] });
      expect(source, file).toMatch(/^import type /m);
    }
  });
});
