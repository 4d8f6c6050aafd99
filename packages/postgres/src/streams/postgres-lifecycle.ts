import {
  type StoredEvent,
  StreamDeletedError,
  type StreamLifecycle,
  type StreamLifecycleInfo,
  type StreamStatus,
  storedTombstone,
} from '@hindsight/core';
import { type EventRow, epochMilliseconds, eventColumns, toStoredEvent } from '../internal/event-row.js';
import { positionSequence } from '../internal/position-lock.js';
import { defineStatement } from '../internal/statement.js';
import type { StorageContext } from '../internal/storage-context.js';
import type { PostgresTransaction } from '../postgres-transaction.js';

// `streams.status` (migration 9): a narrow column on the row every append locks.
const open = 0;
const closed = 1;
const deleted = 2;
const statuses: readonly StreamStatus[] = ['open', 'closed', 'deleted'];

interface StatusRow {
  readonly stream_type: string;
  readonly version: string;
  /** Text, as every column the driver returns. */
  readonly status: string;
  readonly changed_ms: string | null;
  readonly reason: string | null;
  readonly archived_up_to: string;
}

function lifecycleStatements(schema: string) {
  const statusOf = (lock: string) =>
    `SELECT s.stream_type, s.version, s.status, ${epochMilliseconds('l.changed_at')} AS changed_ms, l.reason,
  coalesce(l.archived_up_to, 0) AS archived_up_to
FROM ${schema}.streams s LEFT JOIN ${schema}.stream_lifecycle l ON l.stream_id = s.stream_id
WHERE s.stream_id = $1::text${lock}`;
  const recordChange = (name: string, set: string) =>
    defineStatement(
      name,
      `INSERT INTO ${schema}.stream_lifecycle AS l (stream_id, changed_at, reason)
VALUES ($1::text, timestamptz 'epoch' + $2::int8 * interval '1 millisecond', $3::text)
ON CONFLICT (stream_id) DO UPDATE SET ${set}`,
    );
  return {
    status: defineStatement('stream_status', statusOf('')),
    // Locks the row appends update: a close, delete or archive and the stream's appends take turns.
    lockStatus: defineStatement('stream_status_lock', statusOf(' FOR UPDATE OF s')),
    close: defineStatement(
      'close_stream',
      `UPDATE ${schema}.streams SET status = ${closed} WHERE stream_id = $1::text AND status = ${open}`,
    ),
    recordClose: recordChange('record_close', 'changed_at = excluded.changed_at, reason = excluded.reason'),
    insertTombstone: defineStatement(
      'insert_tombstone',
      `WITH locked AS MATERIALIZED (
  SELECT pg_advisory_xact_lock_shared($8::int4, $9::int4)::text AS lock
), claimed AS MATERIALIZED (
  SELECT nextval(${positionSequence(schema)}) AS position,
    date_trunc('milliseconds', clock_timestamp()) AS recorded_at
  FROM locked WHERE lock IS NOT NULL
)
INSERT INTO ${schema}.events
  (position, stream_id, stream_type, version, event_id, type, data, metadata, recorded_at)
SELECT c.position, $1::text, $2::text, $3::int, $4::uuid, $5::text, $6::jsonb, $7::jsonb, c.recorded_at
FROM claimed c
RETURNING position, ${epochMilliseconds('recorded_at')} AS recorded_ms`,
    ),
    insertDeletedStream: defineStatement(
      'insert_deleted_stream',
      `INSERT INTO ${schema}.streams (stream_id, stream_type, version, status)
VALUES ($1::text, $2::text, $3::int, ${deleted}) ON CONFLICT (stream_id) DO NOTHING RETURNING stream_id`,
    ),
    // As insert_tombstone, with the recorded time the imported tombstone carries.
    insertImportedTombstone: defineStatement(
      'insert_imported_tombstone',
      `WITH locked AS MATERIALIZED (
  SELECT pg_advisory_xact_lock_shared($9::int4, $10::int4)::text AS lock
), claimed AS MATERIALIZED (
  SELECT nextval(${positionSequence(schema)}) AS position FROM locked WHERE lock IS NOT NULL
)
INSERT INTO ${schema}.events
  (position, stream_id, stream_type, version, event_id, type, data, metadata, recorded_at)
SELECT c.position, $1::text, $2::text, $3::int, $4::uuid, $5::text, $6::jsonb, $7::jsonb,
  timestamptz 'epoch' + $8::int8 * interval '1 millisecond'
FROM claimed c
RETURNING position`,
    ),
    deleteEvents: defineStatement(
      'delete_stream_events',
      `DELETE FROM ${schema}.events WHERE stream_id = $1::text AND position <> $2::int8`,
    ),
    deleteArchived: defineStatement(
      'delete_stream_archived',
      `DELETE FROM ${schema}.archived_events WHERE stream_id = $1::text`,
    ),
    deleteSnapshot: defineStatement(
      'delete_stream_snapshot',
      `DELETE FROM ${schema}.snapshots WHERE stream_id = $1::text`,
    ),
    markDeleted: defineStatement(
      'mark_stream_deleted',
      `UPDATE ${schema}.streams SET status = ${deleted}, version = $2::int WHERE stream_id = $1::text`,
    ),
    recordDelete: recordChange(
      'record_delete',
      'changed_at = excluded.changed_at, reason = excluded.reason, archived_up_to = 0',
    ),
    // The log's last event stays hot, as on every storage (SQLite would reuse its position).
    archive: defineStatement(
      'archive_stream',
      `WITH moved AS (
  DELETE FROM ${schema}.events e
  WHERE e.stream_id = $1::text AND e.version > $2::int AND e.version <= $3::int
    AND e.position < (SELECT max(x.position) FROM ${schema}.events x)
  RETURNING e.*
), kept AS (
  INSERT INTO ${schema}.archived_events SELECT * FROM moved
)
SELECT ${eventColumns('m')} FROM moved m ORDER BY m.version`,
    ),
    markArchived: defineStatement(
      'mark_stream_archived',
      `INSERT INTO ${schema}.stream_lifecycle AS l (stream_id, archived_up_to) VALUES ($1::text, $2::int)
ON CONFLICT (stream_id) DO UPDATE SET archived_up_to = excluded.archived_up_to`,
    ),
  };
}

/** A stream's status from its row's `status` column, in text form. */
export function streamStatusOf(code: string): StreamStatus {
  return statuses[Number(code)] ?? 'open';
}

function toStatus(streamId: string, row: StatusRow): StreamLifecycleInfo {
  return {
    streamId,
    streamType: row.stream_type,
    version: Number(row.version),
    status: streamStatusOf(row.status),
    changedAt: row.changed_ms === null ? undefined : new Date(Number(row.changed_ms)),
    reason: row.reason ?? undefined,
    archivedUpTo: Number(row.archived_up_to),
  };
}

/**
 * The PostgreSQL storage's stream lifecycle. Every change updates the stream's row, which every
 * append locks and checks (`status = 0` in `append_events`), so no append lands after a
 * close or delete commits.
 */
export function createPostgresLifecycle<Client>(
  context: StorageContext,
  options: { readonly appended: (position: number) => void },
): StreamLifecycle<PostgresTransaction<Client>> {
  const { driver } = context;
  const sql = lifecycleStatements(context.quoted);
  const status = async (streamId: string): Promise<StreamLifecycleInfo | undefined> => {
    const [row] = await driver.run<StatusRow>(sql.status, [streamId]);
    return row === undefined ? undefined : toStatus(streamId, row);
  };

  return {
    status(streamId) {
      context.ensureOpen();
      return status(streamId);
    },

    async close(streamId, closing) {
      context.ensureOpen();
      await driver.transaction(async (session) => {
        const [row] = await session.run<StatusRow>(sql.lockStatus, [streamId]);
        if (row === undefined || Number(row.status) !== open) return;
        await session.run(sql.close, [streamId]);
        await session.run(sql.recordClose, [streamId, closing.at.getTime(), closing.reason ?? null]);
      });
      const info = await status(streamId);
      if (info?.status === 'deleted') throw new StreamDeletedError({ streamId });
      return info;
    },

    async delete(streamId, tombstone, reason, hook) {
      context.ensureOpen();
      let position = 0;
      const info = await driver.transaction(async (session, transaction) => {
        const [row] = await session.run<StatusRow>(sql.lockStatus, [streamId]);
        if (row === undefined) return undefined;
        if (Number(row.status) === deleted) return toStatus(streamId, row);
        const version = Number(row.version) + 1;
        const [written] = await session.run<{ position: string; recorded_ms: string }>(sql.insertTombstone, [
          streamId,
          row.stream_type,
          version,
          tombstone.eventId,
          tombstone.type,
          JSON.stringify(tombstone.data),
          JSON.stringify(tombstone.metadata),
          ...context.lockKey,
        ]);
        position = Number(written?.position);
        const at = Number(written?.recorded_ms);
        await session.run(sql.deleteEvents, [streamId, position]);
        await session.run(sql.deleteArchived, [streamId]);
        await session.run(sql.deleteSnapshot, [streamId]);
        await session.run(sql.markDeleted, [streamId, version]);
        await session.run(sql.recordDelete, [streamId, at, reason ?? null]);
        await hook?.(transaction as PostgresTransaction<Client>, [
          storedTombstone(tombstone, {
            streamId,
            streamType: row.stream_type,
            version,
            position,
            timestamp: new Date(at),
          }),
        ]);
        return toStatus(streamId, {
          ...row,
          version: String(version),
          status: String(deleted),
          changed_ms: String(at),
          reason: reason ?? null,
          archived_up_to: '0',
        });
      });
      if (position > 0) options.appended(position);
      return info;
    },

    async importDeleted(streamId, streamType, version, tombstone, deletion) {
      context.ensureOpen();
      let position = 0;
      await driver.transaction(async (session) => {
        const created = await session.run(sql.insertDeletedStream, [streamId, streamType, version]);
        if (created.length === 0) return;
        const [written] = await session.run<{ position: string }>(sql.insertImportedTombstone, [
          streamId,
          streamType,
          version,
          tombstone.eventId,
          tombstone.type,
          JSON.stringify(tombstone.data),
          JSON.stringify(tombstone.metadata),
          (tombstone.recordedAt ?? new Date()).getTime(),
          ...context.lockKey,
        ]);
        position = Number(written?.position);
        await session.run(sql.recordDelete, [streamId, deletion.at.getTime(), deletion.reason ?? null]);
      });
      if (position > 0) options.appended(position);
      return (await status(streamId)) as StreamLifecycleInfo;
    },

    async archive(streamId, upToVersion) {
      context.ensureOpen();
      return driver.transaction(async (session): Promise<StoredEvent[]> => {
        const [row] = await session.run<StatusRow>(sql.lockStatus, [streamId]);
        if (row === undefined || Number(row.status) === deleted) return [];
        const rows = await session.run<EventRow>(sql.archive, [
          streamId,
          Number(row.archived_up_to),
          upToVersion,
        ]);
        const moved = rows.map(toStoredEvent);
        const last = moved.at(-1);
        if (last !== undefined) await session.run(sql.markArchived, [streamId, last.version]);
        return moved;
      });
    },
  };
}
