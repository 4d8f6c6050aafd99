import type { StoredEvent } from '@hindsight/core';

/**
 * The columns every event read selects, as `alias.column`. The timestamp travels as epoch
 * milliseconds: the text form of a timestamptz depends on session settings (DateStyle, TimeZone).
 */
export function eventColumns(alias: string): string {
  return [
    `${alias}.position`,
    `${alias}.stream_id`,
    `${alias}.stream_type`,
    `${alias}.version`,
    `${alias}.event_id`,
    `${alias}.type`,
    `${alias}.data`,
    `${alias}.metadata`,
    `${readEpochMilliseconds(`${alias}.recorded_at`)} AS recorded_ms`,
  ].join(', ');
}

/**
 * SQL for a stored time as whole epoch milliseconds (int8), for reads of many rows: `date_part`
 * computes in float8, where `extract` computes in numeric, about 0.3 µs more per row. Stored times
 * hold whole milliseconds, which float8 carries exactly enough for the cast to round back to them.
 */
function readEpochMilliseconds(expression: string): string {
  return `(date_part('epoch', ${expression}) * 1000)::int8`;
}

/** SQL for a timestamptz as whole epoch milliseconds (int8). */
export function epochMilliseconds(expression: string): string {
  return `(extract(epoch FROM ${expression}) * 1000)::int8`;
}

/** An event row in PostgreSQL text form. */
export interface EventRow {
  readonly position: string;
  readonly stream_id: string;
  readonly stream_type: string;
  readonly version: string;
  readonly event_id: string;
  readonly type: string;
  readonly data: string;
  readonly metadata: string;
  readonly recorded_ms: string;
}

// Positions are int8; JavaScript numbers hold them exactly up to 2^53, far beyond any real log.
export function toStoredEvent(row: EventRow): StoredEvent {
  return {
    eventId: row.event_id,
    streamId: row.stream_id,
    streamType: row.stream_type,
    type: row.type,
    version: Number(row.version),
    position: Number(row.position),
    timestamp: new Date(Number(row.recorded_ms)),
    data: JSON.parse(row.data),
    metadata: JSON.parse(row.metadata),
  };
}
