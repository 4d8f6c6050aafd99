import { type StoredEvent, StreamDeletedError, type StreamLifecycle, storedTombstone } from '@hindsight/core';
import { type EventRow, eventColumns, toStoredEvent } from '../internal/event-row.js';
import type { SqliteAccess } from '../internal/sqlite-access.js';
import type { SqliteTransaction } from '../sqlite-transaction.js';
import { type StreamStatusRow, streamStatusSql, toStreamStatus } from './stream-status.js';

/**
 * The SQLite storage's stream lifecycle: each change one write transaction, so an append (which
 * checks the stream's status in its own write transaction) sees it whole or not at all.
 */
export function createSqliteLifecycle(
  access: SqliteAccess,
  options: { readonly clock: () => Date; readonly notify: (head: number) => void },
): StreamLifecycle<SqliteTransaction> {
  const { db } = access;
  const findStream = db.prepare<[string], StreamStatusRow>(streamStatusSql).safeIntegers(false);
  const closeStream = db.prepare<[number, string | null, string]>(
    "UPDATE hindsight_streams SET status = 'closed', changed_at = ?, reason = ? WHERE stream_id = ? AND status = 'open'",
  );
  const insertEvent = db.prepare<[string, string, number, string, string, string, string, number]>(
    'INSERT INTO hindsight_events ' +
      '(stream_id, stream_type, version, event_id, type, data, metadata, recorded_at) ' +
      'VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const insertDeletedStream = db.prepare<[string, string, number, number, string | null]>(
    'INSERT INTO hindsight_streams (stream_id, stream_type, version, status, changed_at, reason) ' +
      "VALUES (?, ?, ?, 'deleted', ?, ?)",
  );
  const deleteEvents = db.prepare<[string, number]>(
    'DELETE FROM hindsight_events WHERE stream_id = ? AND position <> ?',
  );
  const deleteArchived = db.prepare<[string]>('DELETE FROM hindsight_archived_events WHERE stream_id = ?');
  const deleteSnapshot = db.prepare<[string]>('DELETE FROM hindsight_snapshots WHERE stream_id = ?');
  const markDeleted = db.prepare<[number, number, string | null, string]>(
    "UPDATE hindsight_streams SET status = 'deleted', version = ?, changed_at = ?, reason = ?, archived_up_to = 0 " +
      'WHERE stream_id = ?',
  );
  // The head stays hot: positions are rowids, and SQLite would hand a deleted maximum out again.
  const archivable = db
    .prepare<[string, number, number], EventRow>(
      `SELECT ${eventColumns} FROM hindsight_events WHERE stream_id = ? AND version > ? AND version <= ? ` +
        'AND position < (SELECT max(position) FROM hindsight_events) ORDER BY version',
    )
    .safeIntegers(false);
  const copyToArchive = db.prepare<[string, number, number]>(
    `INSERT INTO hindsight_archived_events (${eventColumns}) SELECT ${eventColumns} FROM hindsight_events ` +
      'WHERE stream_id = ? AND version > ? AND version <= ?',
  );
  const removeArchived = db.prepare<[string, number, number]>(
    'DELETE FROM hindsight_events WHERE stream_id = ? AND version > ? AND version <= ?',
  );
  const markArchived = db.prepare<[number, string]>(
    'UPDATE hindsight_streams SET archived_up_to = ? WHERE stream_id = ?',
  );

  return {
    status: (streamId) => access.read((queries) => queries.streamStatus(streamId)),

    close: (streamId, closing) =>
      access.write(() => {
        const row = findStream.get(streamId);
        if (row === undefined) return undefined;
        if (row.status === 'deleted') throw new StreamDeletedError({ streamId });
        closeStream.run(closing.at.getTime(), closing.reason ?? null, streamId);
        const closed = findStream.get(streamId);
        return closed === undefined ? undefined : toStreamStatus(streamId, closed);
      }),

    async delete(streamId, tombstone, reason, hook) {
      let position = 0;
      const info = await access.write((transaction) => {
        const row = findStream.get(streamId);
        if (row === undefined) return undefined;
        if (row.status === 'deleted') return toStreamStatus(streamId, row);
        const at = options.clock().getTime();
        const version = row.version + 1;
        position = Number(
          insertEvent.run(
            streamId,
            row.stream_type,
            version,
            tombstone.eventId,
            tombstone.type,
            JSON.stringify(tombstone.data),
            JSON.stringify(tombstone.metadata),
            at,
          ).lastInsertRowid,
        );
        deleteEvents.run(streamId, position);
        deleteArchived.run(streamId);
        deleteSnapshot.run(streamId);
        markDeleted.run(version, at, reason ?? null, streamId);
        const deleted = findStream.get(streamId);
        const result = deleted === undefined ? undefined : toStreamStatus(streamId, deleted);
        if (hook === undefined) return result;
        const stored = storedTombstone(tombstone, {
          streamId,
          streamType: row.stream_type,
          version,
          position,
          timestamp: new Date(at),
        });
        return Promise.resolve(hook(transaction, [stored])).then(() => result);
      });
      if (position > 0) options.notify(position);
      return info;
    },

    async importDeleted(streamId, streamType, version, tombstone, deletion) {
      let position = 0;
      const info = await access.write(() => {
        if (findStream.get(streamId) === undefined) {
          insertDeletedStream.run(
            streamId,
            streamType,
            version,
            deletion.at.getTime(),
            deletion.reason ?? null,
          );
          position = Number(
            insertEvent.run(
              streamId,
              streamType,
              version,
              tombstone.eventId,
              tombstone.type,
              JSON.stringify(tombstone.data),
              JSON.stringify(tombstone.metadata),
              (tombstone.recordedAt ?? options.clock()).getTime(),
            ).lastInsertRowid,
          );
        }
        return toStreamStatus(streamId, findStream.get(streamId) as StreamStatusRow);
      });
      if (position > 0) options.notify(position);
      return info;
    },

    archive: (streamId, upToVersion) =>
      access.write((): StoredEvent[] => {
        const row = findStream.get(streamId);
        if (row === undefined || row.status === 'deleted') return [];
        const moved = archivable.all(streamId, row.archived_up_to, upToVersion).map(toStoredEvent);
        const last = moved.at(-1);
        if (last === undefined) return [];
        copyToArchive.run(streamId, row.archived_up_to, last.version);
        removeArchived.run(streamId, row.archived_up_to, last.version);
        markArchived.run(last.version, streamId);
        return moved;
      }),
  };
}
