import { isExpectedVersionConflictError } from '@event-driven-io/emmett';
import { getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';
import pg from 'pg';
import {
  type AccountState,
  accountStream,
  type BenchEvent,
  type CatchUpResult,
  type Contender,
  evolveAccount,
  initialAccount,
} from './contender.js';
import { withSearchPath } from './pg-pools.js';

/**
 * Emmett's migration skips creating its functions when a function of the same name exists in any
 * schema of the database, then fails calling them from its own ("function emt_add_partition(unknown)
 * does not exist"). Such a schema is left by an earlier run that was killed before dropping it.
 */
async function refuseForeignEmmettSchemas(pool: pg.Pool, schema: string): Promise<void> {
  const { rows } = await pool.query<{ schema: string }>(
    `SELECT DISTINCT n.nspname AS schema FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE p.proname = 'emt_add_partition' AND n.nspname <> $1`,
    [schema],
  );
  if (rows.length === 0) return;
  await pool.end();
  const names = rows.map((row) => `"${row.schema}"`).join(', ');
  throw new Error(
    `Emmett's functions already exist in schema ${names} of this database, and its set-up would fail in a new one: drop ${rows.length === 1 ? 'it' : 'them'} (DROP SCHEMA … CASCADE) and run again`,
  );
}

/**
 * Emmett 0.42 through its public API: `getPostgreSQLEventStore`, `appendToStream` with
 * `expectedStreamVersion`, `readStream`, `aggregateStream`, and its consumer (a reactor) for reads of
 * the global log. It gets its own pool of the same size and its own schema (via the search path).
 */
export async function createEmmettContender(
  url: string,
  schema: string,
  poolSize: number,
): Promise<Contender> {
  const connectionString = withSearchPath(url, schema);
  const pool = new pg.Pool({ connectionString, max: poolSize });
  await refuseForeignEmmettSchemas(pool, schema);
  const store = getPostgreSQLEventStore(connectionString, { connectionOptions: { pool } });
  await store.schema.migrate();

  const consume = async (
    options: { batchSize: number; pullingFrequencyInMs: number; stopWhenCaughtUp: boolean },
    onEvent: (data: BenchEvent['data']) => void,
    startFrom: 'BEGINNING' | { lastCheckpoint: bigint },
  ) => {
    const consumer = store.consumer<BenchEvent>({
      pulling: { batchSize: options.batchSize, pullingFrequencyInMs: options.pullingFrequencyInMs },
      ...(options.stopWhenCaughtUp ? { stopWhen: { noMessagesLeft: true } } : {}),
    });
    consumer.reactor<BenchEvent>({
      processorId: `bench-${Math.random().toString(36).slice(2)}`,
      startFrom,
      eachMessage: (message) => {
        onEvent(message.data);
      },
    });
    return consumer;
  };

  return {
    key: 'emmett',
    label: 'Emmett 0.42',
    note: 'getPostgreSQLEventStore on a pg.Pool of the same size; consumer reactors for log reads',
    consumerNote:
      'Emmett consumer (reactor) started at the head, polling every 50 ms (its default), backing off to 1 s when idle',

    async append(id, events, expectedVersion) {
      try {
        const result = await store.appendToStream(accountStream(id), events as BenchEvent[], {
          expectedStreamVersion: BigInt(expectedVersion),
        });
        return { ok: true, version: Number(result.nextExpectedStreamVersion) };
      } catch (error) {
        // Emmett does not report the actual version on a conflict (it passes -1).
        if (isExpectedVersionConflictError(error)) return { ok: false, actualVersion: undefined };
        throw error;
      }
    },

    async streamVersion(id, atLeast) {
      // Emmett has no stream-info call: read from the last known version on.
      const result = await store.readStream<BenchEvent>(accountStream(id), {
        from: BigInt(Math.max(atLeast, 1)),
      });
      return result.streamExists ? Number(result.currentStreamVersion) : atLeast;
    },

    async readStream(id) {
      return (await store.readStream<BenchEvent>(accountStream(id))).events.length;
    },

    async loadAggregate(id) {
      const result = await store.aggregateStream<AccountState, BenchEvent>(accountStream(id), {
        initialState: initialAccount,
        evolve: evolveAccount,
      });
      return result.state;
    },

    async catchUp(pageSize, deadline): Promise<CatchUpResult> {
      let events = 0;
      let balance = 0;
      // Favourable settings: pages as large as the others' and the shortest pause between pages.
      const consumer = await consume(
        { batchSize: pageSize, pullingFrequencyInMs: 1, stopWhenCaughtUp: true },
        (data) => {
          events += 1;
          balance += data.amount;
        },
        'BEGINNING',
      );
      const budget = setTimeout(
        () => {
          void consumer.stop();
        },
        Math.max(0, deadline - performance.now()),
      );
      await consumer.start();
      clearTimeout(budget);
      await consumer.close();
      return { events, balance };
    },

    async subscribe(onEvent) {
      // Emmett 0.42's startFrom 'END' reads the *first* global position (ORDER BY … LIMIT 1
      // ascending), so a consumer "from the end" replays the whole log. Start from the head instead.
      const head = await pool.query<{ head: string }>(
        'SELECT coalesce(max(global_position), 0)::text AS head FROM emt_messages',
      );
      const consumer = await consume(
        { batchSize: 100, pullingFrequencyInMs: 50, stopWhenCaughtUp: false },
        (data) => onEvent(data.seq),
        { lastCheckpoint: BigInt(head.rows[0]?.head ?? '0') },
      );
      const started = consumer.start();
      return async () => {
        await consumer.stop();
        await started;
        await consumer.close();
      };
    },

    async close() {
      await store.close();
      await pool.end();
    },
  };
}
