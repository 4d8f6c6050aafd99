import { createEventStore, createSubscription, defineStreamType } from '@hindsight/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { quoteIdentifier } from './internal/identifiers.js';
import { createPostgresStorage, type PostgresStorage } from './postgres-storage.js';
import { createTestPool, dropSchema, uniqueSchema, waitFor } from './test-helpers.js';

const Account = defineStreamType('Account', { Deposited: z.object({ amount: z.number() }) });

/** Core's consumer runner on this storage: live wake-ups over NOTIFY, effects with the checkpoint. */
describe('a core subscription on PostgreSQL', () => {
  const pool = createTestPool();
  const schema = uniqueSchema('hs_subscription');
  const balances = `${quoteIdentifier(schema)}.balances`;
  let writer: PostgresStorage;
  let reader: PostgresStorage;

  beforeAll(async () => {
    writer = createPostgresStorage({ client: pool, schema });
    await writer.migrate();
    await pool.query(`CREATE TABLE ${balances} (account text PRIMARY KEY, total int NOT NULL)`);
    // The subscription runs on another storage instance, as in another process.
    reader = createPostgresStorage({ client: pool, schema });
  });
  afterAll(async () => {
    await writer.close();
    await reader.close();
    await dropSchema(pool, schema);
    await pool.end();
  });

  it('applies every event exactly once, woken by commits of another instance, resuming after a stop', async () => {
    const writes = createEventStore({ storage: writer, events: [Account] });
    const reads = createEventStore({ storage: reader, events: [Account] });
    const subscription = () =>
      createSubscription(reads, {
        name: 'balances',
        // Polling alone would take a minute: only NOTIFY can wake it in time.
        pollIntervalMs: 60_000,
        handle: async (event, { transaction }) => {
          await transaction.query(
            `INSERT INTO ${balances} VALUES ($1, $2)
             ON CONFLICT (account) DO UPDATE SET total = balances.total + excluded.total`,
            [event.streamId, event.data.amount],
          );
        },
      });
    const total = async () =>
      (await pool.query<{ total: number }>(`SELECT total FROM ${balances} WHERE account = 'acc'`)).rows[0]
        ?.total;

    await writes.append('acc', [{ type: 'Deposited', data: { amount: 1 } }], { streamType: 'Account' });
    const first = subscription();
    await first.start();
    await first.waitUntilCaughtUp();
    expect(await total()).toBe(1);

    await writes.append('acc', [{ type: 'Deposited', data: { amount: 10 } }], { streamType: 'Account' });
    await waitFor(async () => (await total()) === 11);
    await first.stop();

    await writes.append('acc', [{ type: 'Deposited', data: { amount: 100 } }], { streamType: 'Account' });
    const second = subscription();
    await second.start();
    await second.waitUntilCaughtUp();
    await second.stop();
    expect(await total()).toBe(111);
    expect(await reader.loadCheckpoint('subscription:balances')).toBe(await writer.headPosition());
  });

  it('shows in its status an open append that holds it back, then passes it once it commits', async () => {
    const patient = createPostgresStorage({ client: pool, schema, readWaitMs: 50 });
    const writes = createEventStore({ storage: writer, events: [Account] });
    const seen: number[] = [];
    const consumer = createSubscription(createEventStore({ storage: patient, events: [Account] }), {
      name: 'held-back',
      pollIntervalMs: 50,
      handle: async (event) => {
        seen.push(event.data.amount);
      },
    });
    let commit!: () => void;
    const latch = new Promise<void>((resolve) => {
      commit = resolve;
    });
    try {
      await consumer.start();
      await consumer.waitUntilCaughtUp();
      const sequence = `${quoteIdentifier(schema)}.event_position`;
      const handedOut = async () =>
        Number(
          (await pool.query<{ last: string }>(`SELECT last_value AS last FROM ${sequence}`)).rows[0]?.last,
        );
      const before = await handedOut();
      const held = writes.append('held', [{ type: 'Deposited', data: { amount: 7 } }], {
        streamType: 'Account',
        inTransaction: () => latch,
      });
      // The held append has taken its position: a later one commits above it.
      await waitFor(async () => (await handedOut()) > before);
      await writes.append('after', [{ type: 'Deposited', data: { amount: 8 } }], { streamType: 'Account' });
      await waitFor(async () => (await consumer.status()).waitingFor.kind === 'in-flight-append');
      expect(seen.filter((amount) => amount === 7 || amount === 8)).toEqual([]);
      commit();
      await held;
      await waitFor(() => seen.includes(8));
      expect(seen.slice(-2)).toEqual([7, 8]);
      await waitFor(async () => (await consumer.status()).waitingFor.kind === 'new-events');
    } finally {
      commit();
      await consumer.stop();
      await patient.close();
    }
  });
});
