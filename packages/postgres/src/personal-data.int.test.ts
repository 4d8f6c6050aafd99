import { PGlite } from '@electric-sql/pglite';
import { createEventStore, createRepository, subjectKeysCollection } from '@hindsight/core';
import { afterAll, describe, expect, it } from 'vitest';
import { Patient } from '../../../test-support/patients.js';
import { quoteIdentifier } from './internal/identifiers.js';
import { createPostgresStorage, type PostgresStorage } from './postgres-storage.js';
import { createTestPool, driversToRun, dropSchema, uniqueSchema } from './test-helpers.js';

const pool = createTestPool(4);
const pglite = new PGlite();
const schemas: string[] = [];

afterAll(async () => {
  for (const schema of schemas) await dropSchema(pool, schema);
  await pool.end();
  await pglite.close();
});

type Query = (text: string, values?: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>;

const drivers: Record<
  string,
  () => Promise<{ storage: PostgresStorage<unknown>; schema: string; query: Query }>
> = {
  PostgreSQL: async () => {
    const schema = uniqueSchema('hs_shred');
    schemas.push(schema);
    const storage = createPostgresStorage({ client: pool, schema });
    await storage.migrate();
    return { storage, schema, query: (text, values) => pool.query(text, values) };
  },
  PGlite: async () => {
    const schema = uniqueSchema('hs_shred');
    const storage = createPostgresStorage({ client: pglite, schema });
    await storage.migrate();
    return {
      storage,
      schema,
      query: (text, values) => pglite.query<Record<string, unknown>>(text, values),
    };
  },
};

/** Every row of every table of the schema, as text. */
async function everyRow(query: Query, schema: string): Promise<string> {
  const { rows: tables } = await query(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'`,
    [schema],
  );
  expect(tables.length).toBeGreaterThan(3);
  const texts: string[] = [];
  for (const { table_name } of tables) {
    const { rows } = await query(
      `SELECT t::text AS row FROM ${quoteIdentifier(schema)}.${quoteIdentifier(String(table_name))} t`,
    );
    for (const { row } of rows) texts.push(String(row));
  }
  return texts.join('\n');
}

describe.each(driversToRun(drivers))('personal data on %s', (_name, create) => {
  it('after forget, neither the plaintext nor the key is in any row of any table', async () => {
    const { storage, schema, query } = await create();
    const plaintext = 'Zygmunt Quellenberg';
    const store = createEventStore({
      storage,
      events: [Patient],
      personalData: {
        onForget: [({ subjectId }) => storage.documents.delete('patient-names', subjectId)],
      },
    });
    const patients = createRepository(store, Patient.withSnapshots({ every: 1 }));
    await patients.execute('p-1', 'admit', { patientId: 'p-1', name: plaintext, ward: 'B' });
    await storage.documents.put('patient-names', 'p-1', { name: plaintext });
    const [keyDocument] = await storage.documents.list(subjectKeysCollection, { limit: 10 });
    const keyText = String((keyDocument?.value as { key?: string } | undefined)?.key);
    const before = await everyRow(query, schema);
    expect(before).toContain(plaintext);
    expect(before).toContain(keyText);

    await store.forget('p-1');
    expect((await patients.load('p-1')).state).toEqual({ name: '(forgotten)', ward: 'B' });
    const after = await everyRow(query, schema);
    expect(after).not.toContain(plaintext);
    expect(after).not.toContain(keyText);
    await storage.close();
  });
});
