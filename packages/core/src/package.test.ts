import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  exports: Record<string, Record<string, string>>;
};

describe('@hindsight/core package', () => {
  it('has no runtime dependencies', () => {
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(manifest.peerDependencies ?? {}).toEqual({});
  });

  it('exports every entry point as source, types and JavaScript', () => {
    for (const [path, conditions] of Object.entries(manifest.exports)) {
      expect(Object.keys(conditions), path).toEqual(['@hindsight/source', 'types', 'default']);
      const source = conditions['@hindsight/source'] ?? '';
      expect(conditions.types, path).toBe(source.replace(/^\.\/src\//, './dist/').replace(/\.ts$/, '.d.ts'));
      expect(conditions.default, path).toBe(source.replace(/^\.\/src\//, './dist/').replace(/\.ts$/, '.js'));
      expect(() => readFileSync(new URL(`../${source}`, import.meta.url))).not.toThrow();
    }
  });
});
