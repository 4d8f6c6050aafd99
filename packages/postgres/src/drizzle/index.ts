/**
 * Drizzle (pg-core) definitions of Hindsight's tables and the SQL of its functions, for one
 * drizzle-kit migration flow covering events and read models.
 *
 * @module @hindsight/postgres/drizzle
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  customType,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  smallint,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';
import { quoteIdentifier } from '../internal/identifiers.js';
import { appendBatchFunctionSql } from '../schema/functions/append-batch-function.js';
import { appendFunctionSql } from '../schema/functions/append-function.js';
import { partitionFunctionsSql } from '../schema/functions/partition-functions.js';
import { readAllFunctionsSql } from '../schema/functions/read-all-functions.js';

// Document keys compare by bytes (the port's binary order); pg-core has no collation option.
const binaryText = customType<{ data: string }>({ dataType: () => 'text COLLATE "C"' });

/**
 * Drizzle (pg-core) definitions of Hindsight's tables and position sequence, identical to what `migrate()` creates, so
 * events and your read models can live in one Drizzle schema and one migration flow. Use either
 * these with drizzle-kit or `migrate()`, not both on the same schema; with drizzle-kit, add
 * {@link hindsightFunctionsSql} in a custom migration too.
 *
 * @example
 * ```ts
 * // db/schema.ts, read by drizzle-kit
 * import { hindsightTables } from '@hindsight/postgres/drizzle';
 * export const { schema: hindsight, events, archivedEvents, streams, snapshots, checkpoints, eventPosition, documents, leases } =
 *   hindsightTables('hindsight');
 *
 * // an inline projection writing a read model with Drizzle
 * await store.append('order-1', events, {
 *   streamType: 'Order',
 *   inTransaction: async (tx) => {
 *     await drizzle(tx.client).insert(orderTotals).values({ id: 'order-1', total: 10 });
 *   },
 * });
 * ```
 */
export function hindsightTables(schemaName = 'hindsight') {
  const schema = pgSchema(schemaName);
  // The hot events and the archive (closed streams, events before a snapshot) share one shape.
  const eventTable = (name: 'events' | 'archived_events') =>
    schema.table(
      name,
      {
        position: bigint('position', { mode: 'number' }).primaryKey(),
        streamId: text('stream_id').notNull(),
        streamType: text('stream_type').notNull(),
        version: integer('version').notNull(),
        eventId: uuid('event_id').notNull().unique(`${name}_event_id_key`),
        type: text('type').notNull(),
        data: jsonb('data').notNull(),
        metadata: jsonb('metadata').notNull(),
        recordedAt: timestamp('recorded_at', { withTimezone: true, mode: 'date' }).notNull(),
      },
      (table) => [
        unique(`${name}_stream_version_key`).on(table.streamId, table.version),
        index(`${name}_type_position_idx`).on(table.type, table.position),
        index(`${name}_stream_type_position_idx`).on(table.streamType, table.position),
      ],
    );
  const events = eventTable('events');
  const archivedEvents = eventTable('archived_events');
  const streams = schema.table(
    'streams',
    {
      streamId: text('stream_id').primaryKey(),
      streamType: text('stream_type').notNull(),
      version: integer('version').notNull(),
      // 0 open, 1 closed, 2 deleted: checked by every append under the row's lock.
      status: smallint('status').notNull().default(0),
    },
    // Listing pages run in code point order, whatever the database's collation.
    (table) => [
      index('streams_id_c_idx').on(sql`${table.streamId} COLLATE "C"`),
      index('streams_type_id_c_idx').on(table.streamType, sql`${table.streamId} COLLATE "C"`),
    ],
  );
  // When and why a stream was closed or deleted, and how much of it is archived.
  const streamLifecycle = schema.table('stream_lifecycle', {
    streamId: text('stream_id').primaryKey(),
    changedAt: timestamp('changed_at', { withTimezone: true, mode: 'date' }),
    reason: text('reason'),
    archivedUpTo: integer('archived_up_to').notNull().default(0),
  });
  const snapshots = schema.table('snapshots', {
    streamId: text('stream_id').primaryKey(),
    streamType: text('stream_type').notNull(),
    version: integer('version').notNull(),
    schemaVersion: integer('schema_version').notNull(),
    state: jsonb('state').notNull(),
    takenAt: timestamp('taken_at', { withTimezone: true, mode: 'date' }).notNull(),
  });
  const checkpoints = schema.table('checkpoints', {
    consumerId: text('consumer_id').primaryKey(),
    position: bigint('position', { mode: 'number' }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  });
  // Positions: CACHE 1 is required (the read horizon relies on positions handed out in call order).
  const eventPosition = schema.sequence('event_position', {
    startWith: 1,
    minValue: 1,
    increment: 1,
    cache: 1,
    cycle: false,
  });
  const documents = schema.table(
    'documents',
    {
      collection: text('collection').notNull(),
      key: binaryText('key').notNull(),
      value: jsonb('value').notNull(),
      updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    },
    (table) => [primaryKey({ name: 'documents_pkey', columns: [table.collection, table.key] })],
  );
  // Who runs which consumer: one owner per name across processes.
  const leases = schema.table('leases', {
    name: text('name').primaryKey(),
    owner: text('owner').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
  });
  return {
    schema,
    events,
    archivedEvents,
    streams,
    streamLifecycle,
    snapshots,
    checkpoints,
    eventPosition,
    documents,
    leases,
  };
}

/**
 * The SQL of the functions the storage calls (`append_events`, `append_events_batch`, `read_all_page*`,
 * `read_partition_page*` and the stream hash they filter on), which Drizzle
 * cannot declare. With drizzle-kit, run it once after the tables exist, in a custom migration
 * (`drizzle-kit generate --custom`, then paste it).
 *
 * @example
 * ```ts
 * writeFileSync('drizzle/0001_hindsight_functions.sql', hindsightFunctionsSql('hindsight'));
 * ```
 */
export function hindsightFunctionsSql(schemaName = 'hindsight'): string {
  const schema = quoteIdentifier(schemaName);
  return [readAllFunctionsSql, partitionFunctionsSql, appendFunctionSql, appendBatchFunctionSql]
    .map((functions) => functions(schema))
    .join('\n');
}
