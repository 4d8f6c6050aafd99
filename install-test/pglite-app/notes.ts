// The PGlite-only app of the install test: a project with @electric-sql/pglite and neither `pg` nor
// `@types/pg` compiles against @hindsight/postgres and runs on it.
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { createEventStore, defineStreamType } from '@hindsight/core';
import { createPostgresStorage, type PostgresStorage } from '@hindsight/postgres';
import { z } from 'zod';

const Note = defineStreamType('Note', { Written: z.object({ text: z.string() }) });

const client = new PGlite();
const storage: PostgresStorage<Transaction> = createPostgresStorage({ client });
await storage.migrate();
const store = createEventStore({ storage, events: [Note] });
await store.append('note-1', [{ type: 'Written', data: { text: 'hello' } }], {
  streamType: 'Note',
  inTransaction: async (tx) => {
    // The handle is PGlite's own Transaction, typed without `pg` installed.
    await tx.client.query('SELECT 1');
  },
});
const texts: string[] = [];
for await (const event of store.readStream('note-1')) texts.push(event.data.text);
if (texts.join() !== 'hello') throw new Error(`pglite: read back ${JSON.stringify(texts)}`);
await store.close();
await client.close();
console.log(`${storage.kind}: ${texts.length} event read back`);
