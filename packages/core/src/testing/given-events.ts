import { InvalidArgumentError } from '../errors/hindsight-error.js';
import type { EventMetadata, StoredEvent } from '../events/event.js';
import type { EventSchemas } from '../events/event-catalog.js';
import type { SchemaOutput } from '../events/standard-schema.js';
import type { EventStorage } from '../streams/event-storage.js';

/**
 * An event a consumer spec starts from: its type and payload (as stored, after schema parsing),
 * and optionally where and when. The stream defaults to `<StreamType>-spec`; the stream type to
 * the prefix of `streamId` before its first `-`, or the consumer's only stream type.
 *
 * @example
 * ```ts
 * const created: GivenEventOf<typeof schemas> = { streamId: 'Order-o1', type: 'OrderCreated', data: { total: 10 } };
 * ```
 */
export type GivenEventOf<Schemas extends EventSchemas> = {
  [Type in keyof Schemas & string]: {
    readonly type: Type;
    readonly data: SchemaOutput<Schemas[Type]>;
    readonly streamId?: string;
    readonly streamType?: string;
    readonly metadata?: EventMetadata;
    /** When it happened (default: the storage's clock at the append). */
    readonly timestamp?: Date;
  };
}[keyof Schemas & string];

/**
 * Appends `events` to `storage`, each to its stream in the order given, and returns them as
 * stored (with positions, versions and timestamps): what a consumer would read.
 */
export async function storeGiven<Tx>(
  storage: EventStorage<Tx>,
  events: readonly GivenEventOf<EventSchemas>[],
  consumer: { readonly name: string; readonly streamTypes: readonly string[] },
): Promise<StoredEvent[]> {
  for (const event of events) {
    const streamType = streamTypeOf(event, consumer);
    await storage.append({
      streamId: event.streamId ?? `${streamType}-spec`,
      streamType,
      expectedVersion: 'any',
      events: [
        {
          eventId: globalThis.crypto.randomUUID(),
          type: event.type,
          data: event.data,
          metadata: event.metadata ?? {},
          ...(event.timestamp === undefined ? {} : { recordedAt: event.timestamp }),
        },
      ],
    });
  }
  return [...(await storage.readAll({ after: 0, limit: Math.max(1, events.length) }))];
}

function streamTypeOf(
  event: GivenEventOf<EventSchemas>,
  consumer: { readonly name: string; readonly streamTypes: readonly string[] },
): string {
  if (event.streamType !== undefined) return event.streamType;
  const prefix = event.streamId?.split('-')[0];
  if (prefix !== undefined && consumer.streamTypes.includes(prefix)) return prefix;
  const [only, ...others] = consumer.streamTypes;
  if (only !== undefined && others.length === 0) return only;
  throw new InvalidArgumentError({
    argument: `given event "${event.type}" of the spec of "${consumer.name}"`,
    value: event.streamId ?? '',
    problem: `needs a streamType (one of ${consumer.streamTypes.join(', ')}) or a streamId starting with one`,
  });
}
