import {
  type AppendRequest,
  type AppendResult,
  checkExpectedVersionMatches,
  findAlreadyStored,
  type StoredEvent,
  StreamClosedError,
  StreamDeletedError,
  StreamTypeMismatchError,
} from '@hindsight/core';
import type BetterSqlite3 from 'better-sqlite3';
import { type EventRow, eventColumns, toStoredEvent } from '../internal/event-row.js';

interface StreamRow {
  readonly stream_type: string;
  readonly version: number;
  readonly status: string;
}

/**
 * Writes one append inside the caller's open write transaction: the idempotency check, the stream
 * type and expected version checks, the events and the stream's new version. Throws before writing
 * anything when a check fails.
 */
export type AppendEvents = (request: AppendRequest, recordedAt: number) => AppendResult;

export function prepareAppendEvents(db: BetterSqlite3.Database): AppendEvents {
  const findByIds = db
    .prepare<[{ ids: string }], EventRow>(
      // The archive too: an event stays stored once after archiving moved it.
      `SELECT ${eventColumns} FROM hindsight_events WHERE event_id IN (SELECT value FROM json_each(@ids)) ` +
        `UNION ALL SELECT ${eventColumns} FROM hindsight_archived_events WHERE event_id IN (SELECT value FROM json_each(@ids))`,
    )
    .safeIntegers(false);
  const findStream = db
    .prepare<[string], StreamRow>(
      'SELECT stream_type, version, status FROM hindsight_streams WHERE stream_id = ?',
    )
    .safeIntegers(false);
  const insertEvent = db
    .prepare<[string, string, number, string, string, string, string, number]>(
      'INSERT INTO hindsight_events ' +
        '(stream_id, stream_type, version, event_id, type, data, metadata, recorded_at) ' +
        'VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    )
    .safeIntegers(false);
  const upsertStream = db.prepare<[string, string, number]>(
    'INSERT INTO hindsight_streams (stream_id, stream_type, version) VALUES (?, ?, ?) ' +
      'ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version',
  );

  return (request, recordedAt) => {
    const { streamId, streamType } = request;
    const existing = findByIds.all({ ids: JSON.stringify(request.events.map((event) => event.eventId)) });
    if (existing.length > 0) {
      const byId = new Map(existing.map((row) => [row.event_id, toStoredEvent(row)]));
      const already = findAlreadyStored(request, (eventId) => byId.get(eventId));
      if (already !== undefined) return already;
    }
    const stream = findStream.get(streamId);
    if (stream !== undefined && stream.stream_type !== streamType) {
      throw new StreamTypeMismatchError({
        streamId,
        expectedType: streamType,
        actualType: stream.stream_type,
      });
    }
    // Checked inside the write transaction, which holds SQLite's write lock: no close slips past.
    if (stream?.status === 'closed') throw new StreamClosedError({ streamId });
    if (stream?.status === 'deleted') throw new StreamDeletedError({ streamId });
    const current = stream?.version ?? 0;
    checkExpectedVersionMatches(streamId, request.expectedVersion, current);
    const events = request.events.map((event, index): StoredEvent => {
      const version = current + index + 1;
      const data = JSON.stringify(event.data);
      const metadata = JSON.stringify(event.metadata);
      const timestamp = event.recordedAt?.getTime() ?? recordedAt;
      const { lastInsertRowid } = insertEvent.run(
        streamId,
        streamType,
        version,
        event.eventId,
        event.type,
        data,
        metadata,
        timestamp,
      );
      return {
        eventId: event.eventId,
        streamId,
        streamType,
        type: event.type,
        version,
        position: Number(lastInsertRowid),
        timestamp: new Date(timestamp),
        // Copies of what was stored, so neither the caller nor a hook can change the other's view.
        data: JSON.parse(data),
        metadata: JSON.parse(metadata),
      };
    });
    const last = events.at(-1) as StoredEvent;
    upsertStream.run(streamId, streamType, last.version);
    return { streamId, version: last.version, position: last.position, events, alreadyStored: false };
  };
}
