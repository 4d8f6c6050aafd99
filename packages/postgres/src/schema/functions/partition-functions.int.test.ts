import { PGlite } from '@electric-sql/pglite';
import { partitionOf } from '@hindsight/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteIdentifier } from '../../internal/identifiers.js';
import { createPostgresStorage } from '../../postgres-storage.js';
import { createTestPool, dropSchema, uniqueSchema } from '../../test-helpers.js';

/** Ids whose hash is easy to get wrong: empty, every UTF-8 length, surrogate pairs, long. */
const fixed = [
  '',
  'a',
  'foobar',
  'Order-o-1',
  'c-999',
  'é-ß',
  'Ω-7',
  '注文-9',
  '\u{1F600}-x',
  '\u{1F600}',
  'x\u{10FFFF}\u{10000}y',
  '\u{7F}\u{80}\u{7FF}\u{800}\u{FFFF}\u{10000}',
  'Ünïcödé Straße 東京 🇫🇷 👩‍👩‍👧',
  'x'.repeat(5_000),
  `${'注'.repeat(700)}${'🎉'.repeat(700)}`,
];

/** Code point ranges of each UTF-8 length, and astral ones (two UTF-16 units in JavaScript). */
const ranges: readonly (readonly [number, number])[] = [
  [0x20, 0x7e],
  [0x01, 0x7f],
  [0x80, 0x7ff],
  [0x800, 0xd7ff],
  [0xe000, 0xffff],
  [0x10000, 0x10ffff],
];

/** Random ids from a seeded generator (reproducible), mixing the ranges above; no NUL, no lone surrogates. */
function randomIds(count: number): string[] {
  let seed = 0x9e3779b9;
  const next = (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  return Array.from({ length: count }, () => {
    const length = Math.floor(next() * 40);
    let id = '';
    for (let i = 0; i < length; i += 1) {
      const [low, high] = ranges[Math.floor(next() * ranges.length)] ?? [0x20, 0x7e];
      id += String.fromCodePoint(low + Math.floor(next() * (high - low + 1)));
    }
    return id;
  });
}

const ids = [...fixed, ...randomIds(2_000)];
const counts = [1, 2, 3, 4, 7, 16, 1_000, 2 ** 31 - 1];

type Query = (sql: string, params: unknown[]) => Promise<readonly Record<string, unknown>[]>;

/** The SQL hash and partitions of every id, against core's `partitionOf` on the same strings. */
async function expectCoreHashes(query: Query, schema: string): Promise<void> {
  const quoted = quoteIdentifier(schema);
  const rows = await query(
    `SELECT i.id, ${quoted}.fnv1a(i.id)::text AS hash,
       array_agg(${quoted}.partition_of(i.id, c.n) ORDER BY c.ord) AS partitions
     FROM unnest($1::text[]) WITH ORDINALITY AS i(id, ord)
     CROSS JOIN unnest($2::int[]) WITH ORDINALITY AS c(n, ord)
     GROUP BY i.id, i.ord ORDER BY i.ord`,
    [ids, counts],
  );
  // A count of 2^32 leaves core's hash whole: partitionOf(id, 2^32) is fnv1a(id).
  expect(rows.map((row) => ({ id: row.id, hash: row.hash, partitions: row.partitions }))).toEqual(
    ids.map((id) => ({
      id,
      hash: String(partitionOf(id, 2 ** 32)),
      partitions: counts.map((count) => partitionOf(id, count)),
    })),
  );
}

describe('the SQL stream hash', () => {
  it('is FNV-1a: the published test vectors', () => {
    expect([partitionOf('', 2 ** 32), partitionOf('a', 2 ** 32), partitionOf('foobar', 2 ** 32)]).toEqual([
      0x811c9dc5, 0xe40c292c, 0xbf9cf968,
    ]);
  });

  describe('on PostgreSQL', () => {
    const pool = createTestPool(2);
    const schema = uniqueSchema('hs_hash');
    beforeAll(async () => {
      const storage = createPostgresStorage({ client: pool, schema });
      await storage.migrate();
      await storage.close();
    });
    afterAll(async () => {
      await dropSchema(pool, schema);
      await pool.end();
    });

    it("equals core's fnv1a and partitionOf on every id", async () => {
      await expectCoreHashes(async (sql, params) => (await pool.query(sql, params)).rows, schema);
    });

    it('is IMMUTABLE and PARALLEL SAFE, so it can go into indexes and parallel plans', async () => {
      const { rows } = await pool.query(
        `SELECT p.proname AS name, p.provolatile AS volatility, p.proparallel AS parallel
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = $1 AND p.proname IN ('fnv1a', 'partition_of') ORDER BY p.proname`,
        [schema],
      );
      expect(rows).toEqual([
        { name: 'fnv1a', volatility: 'i', parallel: 's' },
        { name: 'partition_of', volatility: 'i', parallel: 's' },
      ]);
    });
  });

  describe('on PGlite', () => {
    const db = new PGlite();
    const schema = 'hindsight';
    beforeAll(async () => {
      const storage = createPostgresStorage({ client: db, schema });
      await storage.migrate();
      await storage.close();
    });
    afterAll(() => db.close());

    it("equals core's fnv1a and partitionOf on every id", async () => {
      await expectCoreHashes(
        async (sql, params) => (await db.query<Record<string, unknown>>(sql, params)).rows,
        schema,
      );
    });
  });
});
