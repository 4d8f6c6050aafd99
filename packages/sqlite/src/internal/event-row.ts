import type { StoredEvent } from '@hindsight/core';

/** The columns every event query selects, in {@link EventRow} order. */
export const eventColumns =
  'position, stream_id, stream_type, version, event_id, type, data, metadata, recorded_at';

/** One row of `hindsight_events` as better-sqlite3 returns it. */
export interface EventRow {
  readonly position: number;
  readonly stream_id: string;
  readonly stream_type: string;
  readonly version: number;
  readonly event_id: string;
  readonly type: string;
  readonly data: string;
  readonly metadata: string;
  readonly recorded_at: number;
}

export function toStoredEvent(row: EventRow): StoredEvent {
  return {
    eventId: row.event_id,
    streamId: row.stream_id,
    streamType: row.stream_type,
    type: row.type,
    version: row.version,
    position: row.position,
    timestamp: new Date(row.recorded_at),
    data: JSON.parse(row.data),
    metadata: JSON.parse(row.metadata),
  };
}
