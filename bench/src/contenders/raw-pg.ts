import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { createTail } from '../harness/tail.js';
import {
  balancesTable,
  createBalancesSql,
  readBalanceTotals,
  upsertBalancesParams,
  upsertBalancesSql,
} from './balances-sql.js';
import {
  type AccountState,
  accountStream,
  type BenchEvent,
  balanceDeltas,
  type CatchUpResult,
  type Contender,
  evolveAccount,
  initialAccount,
} from './contender.js';
import { createClient, createPool, isUniqueViolation } from './pg-pools.js';

const schemaSql = `
CREATE TABLE events (
  position bigserial PRIMARY KEY,
  stream_id text NOT NULL,
  version integer NOT NULL,
  event_id uuid NOT NULL UNIQUE,
  type text NOT NULL,
  data jsonb NOT NULL,
  metadata jsonb NOT NULL DEFAULT '{}',
  recorded_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (stream_id, version)
);
CREATE TABLE checkpoints (name text PRIMARY KEY, position bigint NOT NULL);
CREATE FUNCTION notify_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_notify('raw_events', ''); RETURN NULL; END $$;
`;

// The floor: what a hand-written client does with no library in between. Named (prepared)
// statements, one round trip per append in autocommit, the unique (stream_id, version) key as the
// concurrency check, unnest for batches (pg-copy-streams is not installed, so COPY is not measured).
const appendOne = `INSERT INTO events (stream_id, version, event_id, type, data) VALUES ($1, $2, $3, $4, $5)`;
const appendMany = `INSERT INTO events (stream_id, version, event_id, type, data)
  SELECT $1, u.version, u.event_id, u.type, u.data
  FROM unnest($2::int[], $3::uuid[], $4::text[], $5::jsonb[]) WITH ORDINALITY AS u(version, event_id, type, data, n)
  ORDER BY u.n`;
const selectStream = `SELECT position, version, event_id, type, data, metadata, recorded_at
  FROM events WHERE stream_id = $1 ORDER BY version`;
const selectAll = `SELECT position, stream_id, version, event_id, type, data, metadata, recorded_at
  FROM events WHERE position > $1 ORDER BY position LIMIT $2`;

const selectForProjection = `SELECT position, stream_id, data FROM events WHERE position > $1 ORDER BY position LIMIT $2`;
const saveCheckpoint = `INSERT INTO checkpoints (name, position) VALUES ($1, $2)
  ON CONFLICT (name) DO UPDATE SET position = excluded.position`;

const copyEvents = 'COPY events (stream_id, version, event_id, type, data) FROM STDIN';

/** A value in COPY's text format: backslashes, tabs and line breaks escaped. */
const copyText = (value: string): string =>
  value.replaceAll('\\', '\\\\').replaceAll('\t', '\\t').replaceAll('\n', '\\n').replaceAll('\r', '\\r');

interface EventRow {
  readonly position: string;
  readonly data: BenchEvent['data'];
}

/** Raw `pg` against a plain events table in its own schema. */
export async function createRawContender(url: string, schema: string, poolSize: number): Promise<Contender> {
  const pool = createPool(url, poolSize, schema);
  await pool.query(schemaSql);

  return {
    key: 'raw',
    label: 'raw pg',
    note: 'INSERT per event / unnest per batch (COPY too, in the details of 3), named statements, autocommit; SELECT of a stream',
    consumerNote: 'statement trigger → LISTEN/NOTIFY → keyset SELECT after the last position',

    async append(id, events, expectedVersion) {
      const streamId = accountStream(id);
      try {
        if (events.length === 1) {
          const [event] = events as [BenchEvent];
          await pool.query({
            name: 'raw-append-one',
            text: appendOne,
            values: [streamId, expectedVersion + 1, randomUUID(), event.type, event.data],
          });
        } else {
          await pool.query({
            name: 'raw-append-many',
            text: appendMany,
            values: [
              streamId,
              events.map((_, index) => expectedVersion + 1 + index),
              events.map(() => randomUUID()),
              events.map((event) => event.type),
              events.map((event) => JSON.stringify(event.data)),
            ],
          });
        }
        return { ok: true, version: expectedVersion + events.length };
      } catch (error) {
        if (isUniqueViolation(error)) return { ok: false, actualVersion: undefined };
        throw error;
      }
    },

    async appendByCopy(id, events, expectedVersion) {
      const streamId = copyText(accountStream(id));
      const rows = events.map(
        (event, index) =>
          `${streamId}\t${expectedVersion + 1 + index}\t${randomUUID()}\t${event.type}\t${copyText(JSON.stringify(event.data))}\n`,
      );
      const client = await pool.connect();
      try {
        await pipeline(Readable.from([rows.join('')]), client.query(copyFrom(copyEvents)));
        return { ok: true, version: expectedVersion + events.length };
      } catch (error) {
        if (isUniqueViolation(error)) return { ok: false, actualVersion: undefined };
        throw error;
      } finally {
        client.release();
      }
    },

    async streamVersion(id) {
      const result = await pool.query<{ version: number }>({
        name: 'raw-stream-version',
        text: 'SELECT coalesce(max(version), 0) AS version FROM events WHERE stream_id = $1',
        values: [accountStream(id)],
      });
      return result.rows[0]?.version ?? 0;
    },

    async readStream(id) {
      const result = await pool.query({
        name: 'raw-read-stream',
        text: selectStream,
        values: [accountStream(id)],
      });
      return result.rowCount ?? 0;
    },

    async loadAggregate(id) {
      const result = await pool.query<EventRow>({
        name: 'raw-read-stream',
        text: selectStream,
        values: [accountStream(id)],
      });
      let state: AccountState = initialAccount();
      for (const row of result.rows) state = evolveAccount(state, row);
      return state;
    },

    async catchUp(pageSize, deadline): Promise<CatchUpResult> {
      let after = '0';
      let events = 0;
      let balance = 0;
      for (;;) {
        const result = await pool.query<EventRow>({
          name: 'raw-read-all',
          text: selectAll,
          values: [after, pageSize],
        });
        for (const row of result.rows) {
          events += 1;
          balance += row.data.amount;
        }
        const last = result.rows.at(-1);
        if (last === undefined || result.rows.length < pageSize || performance.now() > deadline) {
          return { events, balance };
        }
        after = last.position;
      }
    },

    async project(trial, pageSize, deadline): Promise<CatchUpResult> {
      const table = balancesTable(schema, trial);
      await pool.query(createBalancesSql(table));
      const upsert = upsertBalancesSql(table);
      const client = await pool.connect();
      try {
        let after = '0';
        for (;;) {
          await client.query('BEGIN');
          const page = await client.query<EventRow & { stream_id: string }>({
            name: 'raw-read-for-projection',
            text: selectForProjection,
            values: [after, pageSize],
          });
          const last = page.rows.at(-1);
          if (last !== undefined) {
            const deltas = balanceDeltas(
              page.rows.map((row) => ({ streamId: row.stream_id, data: row.data })),
            );
            await client.query(upsert, upsertBalancesParams(deltas));
            await client.query({
              name: 'raw-save-checkpoint',
              text: saveCheckpoint,
              values: [`balances-${trial}`, last.position],
            });
          }
          await client.query('COMMIT');
          if (last === undefined || page.rows.length < pageSize || performance.now() > deadline) break;
          after = last.position;
        }
      } finally {
        client.release();
      }
      return readBalanceTotals(pool, table);
    },

    async subscribe(onEvent) {
      await pool.query(
        'CREATE OR REPLACE TRIGGER events_notify AFTER INSERT ON events FOR EACH STATEMENT EXECUTE FUNCTION notify_events()',
      );
      const listener = createClient(url, schema);
      await listener.connect();
      const head = await listener.query<{ position: string }>(
        'SELECT coalesce(max(position), 0) AS position FROM events',
      );
      let after = head.rows[0]?.position ?? '0';
      const tail = createTail(async (limit) => {
        const result = await listener.query<EventRow>({
          name: 'raw-tail',
          text: selectAll,
          values: [after, limit],
        });
        for (const row of result.rows) onEvent(row.data.seq);
        after = result.rows.at(-1)?.position ?? after;
        return result.rows.length;
      });
      listener.on('notification', () => tail.wake());
      await listener.query('LISTEN raw_events');
      return async () => {
        await listener.query('UNLISTEN raw_events');
        await listener.end();
        await pool.query('DROP TRIGGER events_notify ON events');
        tail.stop();
      };
    },

    async close() {
      await pool.end();
    },
  };
}
