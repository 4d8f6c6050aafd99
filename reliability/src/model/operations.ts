import type { AppendRequest, ExpectedVersion, PreparedEvent } from '@hindsight/core';
import fc from 'fast-check';

/** Few streams, so appends collide, conflict and reuse ids across streams. */
const streams = ['order-1', 'order-2', 'odd/"stream"; DROP', 'ünïcode-☃'] as const;
const streamTypes = ['Order', 'Invoice'] as const;
const eventTypes = ['Created', 'Changed', 'Closed'] as const;
const consumers = ['projector', 'listener'] as const;

/** How an event gets its id: a new one, or one used before (by index into the ids used so far). */
type IdSpec = { readonly fresh: true } | { readonly reuse: number };

export type Operation =
  | {
      readonly kind: 'append';
      readonly streamId: string;
      readonly streamType: string;
      readonly expectedVersion: ExpectedVersion;
      readonly events: readonly { readonly id: IdSpec; readonly type: string; readonly data: unknown }[];
    }
  /** The previous append again, same ids: a retry whose acknowledgement was lost. */
  | { readonly kind: 'retryLastAppend' }
  | {
      readonly kind: 'readStream';
      readonly streamId: string;
      readonly direction: 'forward' | 'backward';
      readonly minVersion: number | undefined;
      readonly maxVersion: number | undefined;
      readonly limit: number;
    }
  | {
      readonly kind: 'readAll';
      readonly after: number;
      readonly upTo: number | undefined;
      readonly limit: number;
      readonly types: readonly string[] | undefined;
      readonly streamTypes: readonly string[] | undefined;
    }
  | { readonly kind: 'streamInfo'; readonly streamId: string }
  | { readonly kind: 'headPosition' }
  | {
      readonly kind: 'saveSnapshot';
      readonly streamId: string;
      readonly streamType: string;
      readonly version: number;
      readonly schemaVersion: number;
      readonly state: unknown;
    }
  | { readonly kind: 'loadSnapshot'; readonly streamId: string }
  | { readonly kind: 'saveCheckpoint'; readonly consumerId: string; readonly position: number }
  | { readonly kind: 'loadCheckpoint'; readonly consumerId: string }
  /** Close the storage and open it again on the same data. */
  | { readonly kind: 'restart' };

const optional = <T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> =>
  fc.option(arbitrary, { nil: undefined });

const json = fc.record({
  n: fc.integer({ min: -1_000_000, max: 1_000_000 }),
  text: fc.string({ maxLength: 8 }),
  flag: fc.boolean(),
  list: fc.array(fc.oneof(fc.integer(), fc.constant(null), fc.string({ maxLength: 3 })), { maxLength: 3 }),
});

const expectedVersion: fc.Arbitrary<ExpectedVersion> = fc.oneof(
  fc.constantFrom<ExpectedVersion>('any', 'no_stream', 'stream_exists'),
  fc.integer({ min: 0, max: 8 }),
);

const append = fc.record({
  kind: fc.constant('append' as const),
  streamId: fc.constantFrom(...streams),
  // Mostly the stream's usual type; sometimes the other one (a mismatch once the stream exists).
  streamType: fc.constantFrom<string>('Order', 'Order', 'Order', 'Invoice'),
  expectedVersion,
  events: fc.array(
    fc.record({
      id: fc.oneof(
        { weight: 5, arbitrary: fc.constant<IdSpec>({ fresh: true }) },
        { weight: 1, arbitrary: fc.nat().map<IdSpec>((reuse) => ({ reuse })) },
      ),
      type: fc.constantFrom(...eventTypes),
      data: json,
    }),
    { minLength: 1, maxLength: 4 },
  ),
});

const readStream = fc.record({
  kind: fc.constant('readStream' as const),
  streamId: fc.constantFrom(...streams, 'missing'),
  direction: fc.constantFrom('forward' as const, 'backward' as const),
  minVersion: optional(fc.integer({ min: 1, max: 10 })),
  maxVersion: optional(fc.integer({ min: 1, max: 10 })),
  limit: fc.integer({ min: 1, max: 6 }),
});

const readAll = fc.record({
  kind: fc.constant('readAll' as const),
  after: fc.integer({ min: 0, max: 30 }),
  upTo: optional(fc.integer({ min: 0, max: 40 })),
  limit: fc.integer({ min: 1, max: 12 }),
  types: optional(fc.subarray([...eventTypes], { minLength: 1 })),
  streamTypes: optional(fc.subarray([...streamTypes, 'Missing'], { minLength: 1 })),
});

export const operationArbitrary: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 8, arbitrary: append },
  { weight: 1, arbitrary: fc.constant({ kind: 'retryLastAppend' as const }) },
  { weight: 3, arbitrary: readStream },
  { weight: 3, arbitrary: readAll },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('streamInfo' as const), streamId: fc.constantFrom(...streams) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'headPosition' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('saveSnapshot' as const),
      streamId: fc.constantFrom(...streams),
      streamType: fc.constantFrom(...streamTypes),
      version: fc.integer({ min: 1, max: 8 }),
      schemaVersion: fc.integer({ min: 1, max: 2 }),
      state: json,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('loadSnapshot' as const),
      streamId: fc.constantFrom(...streams),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('saveCheckpoint' as const),
      consumerId: fc.constantFrom(...consumers),
      position: fc.integer({ min: 0, max: 40 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('loadCheckpoint' as const),
      consumerId: fc.constantFrom(...consumers),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
);

/** The id of the n-th new event of a run: the same on every storage (lowercase, as PostgreSQL returns uuids). */
function eventId(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

/**
 * Resolves ids (new ones numbered, reused ones picked among those used so far) so every storage
 * receives exactly the same requests. An append never repeats an id within itself.
 */
export function toRequests(operations: readonly Operation[]): (AppendRequest | undefined)[] {
  const used: string[] = [];
  let last: AppendRequest | undefined;
  return operations.map((operation) => {
    if (operation.kind === 'retryLastAppend') return last;
    if (operation.kind !== 'append') return undefined;
    const ids = new Set<string>();
    const events: PreparedEvent[] = operation.events.map((event) => {
      let id: string | undefined;
      if ('reuse' in event.id && used.length > 0) {
        const candidate = used[event.id.reuse % used.length] as string;
        if (!ids.has(candidate)) id = candidate;
      }
      if (id === undefined) {
        id = eventId(used.length + 1);
        used.push(id);
      }
      ids.add(id);
      return { eventId: id, type: event.type, data: event.data, metadata: { correlationId: 'model' } };
    });
    last = {
      streamId: operation.streamId,
      streamType: operation.streamType,
      expectedVersion: operation.expectedVersion,
      events,
    };
    return last;
  });
}
