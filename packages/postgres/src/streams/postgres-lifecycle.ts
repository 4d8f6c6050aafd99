import {
  type StoredEvent,
  StreamDeletedError,
  type StreamLifecycle,
  type StreamLifecycleInfo,
  type StreamStatus,
} from '@hindsight/core';
import { type EventRow, epochMilliseconds, eventColumns, toStoredEvent } from '../internal/event-row.js';
import { positionSequence } from '../internal/position-lock.js';
import { defineStatement } from '../internal/statement.js';
import type { StorageContext } from '../internal/storage-context.js';

interface StatusRow {
  readonly stream_type: string;
  readonly version: string;
  readonly status: string;
  readonly changed_ms: string | null;
  readonly reason: string | null;
  readonly archived_up_to: string;
}

function lifecycleStatements(schema: string) {
  const statusColumns = `stream_type, version, status, ${epochMilliseconds('changed_at')} AS changed_ms, reason, archived_up_to`;
  return {
    status: defineStatement(
      'stream_status',
      `SELECT ${statusColumns} FROM ${schema}.streams WHERE stream_id = $1::text`,
    ),
    // Locks the row appends update: a close, delete or archive and the stream's appends take turns.
    lockStatus: defineStatement(
      'stream_status_lock',
      `SELECT ${statusColumns} FROM ${schema}.streams WHERE stream_id = $1::text FOR UPDATE`,
    ),
    close: defineStatement(
      'close_stream',
      `UPDATE ${schema}.streams SET status = 'closed',
  changed_at = timestamptz 'epoch' + $2::int8 * interval '1 millisecond', reason = $3::text
WHERE stream_id = $1::text AND status = 'open'`,
    ),
    // As an append takes positions (see `append_events`): the position lock shared, then nextval.
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
      `UPDATE ${schema}.streams SET status = 'deleted', version = $2::int,
  changed_at = timestamptz 'epoch' + $3::int8 * interval '1 millisecond', reason = $4::text, archived_up_to = 0
WHERE stream_id = $1::text`,
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
      `UPDATE ${schema}.streams SET archived_up_to = $2::int WHERE stream_id = $1::text`,
    ),
  };
}

function toStatus(streamId: string, row: StatusRow): StreamLifecycleInfo {
  return {
    streamId,
    streamType: row.stream_type,
    version: Number(row.version),
    status: row.status as StreamStatus,
    changedAt: row.changed_ms === null ? undefined : new Date(Number(row.changed_ms)),
    reason: row.reason ?? undefined,
    archivedUpTo: Number(row.archived_up_to),
  };
}

/**
 * The PostgreSQL storage's stream lifecycle. Every change updates the stream's row, which every
 * append locks and checks (`status = 'open'` in `append_events`), so no append lands after a
 * close or delete commits.
 */
export function createPostgresLifecycle(
  context: StorageContext,
  options: { readonly appended: (position: number) => void },
): StreamLifecycle {
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
      await driver.run(sql.close, [streamId, closing.at.getTime(), closing.reason ?? null]);
      const info = await status(streamId);
      if (info?.status === 'deleted') throw new StreamDeletedError({ streamId });
      return info;
    },

    async delete(streamId, tombstone, reason) {
      context.ensureOpen();
      let position = 0;
      const info = await driver.transaction(async (session) => {
        const [row] = await session.run<StatusRow>(sql.lockStatus, [streamId]);
        if (row === undefined) return undefined;
        if (row.status === 'deleted') return toStatus(streamId, row);
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
        await session.run(sql.markDeleted, [streamId, version, at, reason ?? null]);
        return toStatus(streamId, {
          ...row,
          version: String(version),
          status: 'deleted',
          changed_ms: String(at),
          reason: reason ?? null,
          archived_up_to: '0',
        });
      });
      if (position > 0) options.appended(position);
      return info;
    },

    async archive(streamId, upToVersion) {
      context.ensureOpen();
      return driver.transaction(async (session): Promise<StoredEvent[]> => {
        const [row] = await session.run<StatusRow>(sql.lockStatus, [streamId]);
        if (row === undefined || row.status === 'deleted') return [];
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
