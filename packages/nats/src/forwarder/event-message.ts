import type { StoredEvent } from '@hindsight/core';
import { headers, type MsgHdrs } from '@nats-io/nats-core';

/**
 * Header names of a forwarded event. The body carries the whole envelope as JSON too; headers let
 * a subscriber route or trace without parsing it.
 */
export const eventHeaders = {
  eventId: 'Hindsight-Event-Id',
  streamId: 'Hindsight-Stream-Id',
  streamType: 'Hindsight-Stream-Type',
  eventType: 'Hindsight-Event-Type',
  version: 'Hindsight-Version',
  position: 'Hindsight-Position',
  timestamp: 'Hindsight-Timestamp',
  correlationId: 'Hindsight-Correlation-Id',
  causationId: 'Hindsight-Causation-Id',
  /** W3C trace context, when the event's metadata carries one. */
  traceparent: 'traceparent',
  tracestate: 'tracestate',
} as const;

/**
 * The JSON body of a forwarded event: the stored envelope, with the timestamp as an ISO string.
 *
 * @example
 * ```ts
 * const event = JSON.parse(new TextDecoder().decode(message.data)) as ForwardedEvent;
 * ```
 */
export interface ForwardedEvent {
  readonly eventId: string;
  readonly streamId: string;
  readonly streamType: string;
  readonly type: string;
  readonly version: number;
  readonly position: number;
  readonly timestamp: string;
  readonly data: unknown;
  readonly metadata: Readonly<Record<string, unknown>>;
}

export function eventBody(event: StoredEvent): string {
  const body: ForwardedEvent = {
    eventId: event.eventId,
    streamId: event.streamId,
    streamType: event.streamType,
    type: event.type,
    version: event.version,
    position: event.position,
    timestamp: event.timestamp.toISOString(),
    data: event.data,
    metadata: event.metadata,
  };
  return JSON.stringify(body);
}

export function eventMessageHeaders(event: StoredEvent): MsgHdrs {
  const result = headers();
  result.set(eventHeaders.eventId, event.eventId);
  // Header values are single-line ASCII; stream ids may be any Unicode, so they travel encoded.
  result.set(eventHeaders.streamId, encodeURIComponent(event.streamId));
  result.set(eventHeaders.streamType, encodeURIComponent(event.streamType));
  result.set(eventHeaders.eventType, encodeURIComponent(event.type));
  result.set(eventHeaders.version, String(event.version));
  result.set(eventHeaders.position, String(event.position));
  result.set(eventHeaders.timestamp, event.timestamp.toISOString());
  const { correlationId, causationId, traceparent, tracestate } = event.metadata;
  if (typeof correlationId === 'string')
    result.set(eventHeaders.correlationId, encodeURIComponent(correlationId));
  if (typeof causationId === 'string') result.set(eventHeaders.causationId, encodeURIComponent(causationId));
  if (typeof traceparent === 'string') result.set(eventHeaders.traceparent, traceparent);
  if (typeof tracestate === 'string') result.set(eventHeaders.tracestate, tracestate);
  return result;
}

/** The position a forwarded message carries, or undefined when it is not one of ours. */
export function forwardedPosition(messageHeaders: MsgHdrs | undefined): number | undefined {
  const value = messageHeaders?.get(eventHeaders.position);
  if (value === undefined || value === '') return undefined;
  const position = Number(value);
  return Number.isSafeInteger(position) && position > 0 ? position : undefined;
}
