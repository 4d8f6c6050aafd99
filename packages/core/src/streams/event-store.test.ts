import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  ConcurrencyError,
  EventIdConflictError,
  EventValidationError,
  HindsightError,
  InvalidArgumentError,
  InvalidMetadataError,
  InvalidStreamIdError,
  PayloadNotSerializableError,
  PayloadTooLargeError,
  StreamTypeMismatchError,
  UnknownEventTypeError,
} from '../errors/hindsight-error.js';
import type { StoredEvent } from '../events/event.js';
import { defineStreamType } from '../events/event-catalog.js';
import { createInMemoryStorage } from '../memory/in-memory-storage.js';
import type { EventStorage, StreamPageQuery } from './event-storage.js';
import { createEventStore, type EventStore } from './event-store.js';

const OrderItem = z.object({ productId: z.string().min(1), quantity: z.number().int().positive() });
const Order = defineStreamType('Order', {
  OrderCreated: z.object({ items: z.array(OrderItem).min(1), total: z.number().nonnegative() }),
  OrderPaid: z.object({ paymentId: z.string().min(1) }),
});
// Accepts anything, so that only the store's plain-JSON rule stands between a value and storage.
const Blob = defineStreamType('Blob', {
  BlobStored: z.object({ value: z.unknown() }),
  RawStored: z.unknown(),
});
const Clock = defineStreamType('Clock', {
  Ticked: z.object({ n: z.number().int() }),
  Tocked: z.object({ n: z.number().int() }),
});
const Audit = defineStreamType('Audit', { Noted: z.object({ n: z.number().int() }) });

const catalogs = [Order, Blob, Clock, Audit] as const;
const created = {
  type: 'OrderCreated' as const,
  data: { items: [{ productId: 'p1', quantity: 1 }], total: 10 },
};
const uuid = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

const opened: EventStore<typeof catalogs>[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

interface Spy {
  readStreamCalls: number;
}

/** Counts page reads; everything else goes straight to the real in-memory storage. */
function countingStorage(inner: EventStorage<unknown>, spy: Spy): EventStorage<unknown> {
  return {
    kind: inner.kind,
    append: (request, hook) => inner.append(request, hook),
    readStream: (streamId: string, query: StreamPageQuery) => {
      spy.readStreamCalls += 1;
      return inner.readStream(streamId, query);
    },
    readAll: (query) => inner.readAll(query),
    streamInfo: (streamId) => inner.streamInfo(streamId),
    headPosition: () => inner.headPosition(),
    loadSnapshot: (streamId) => inner.loadSnapshot(streamId),
    saveSnapshot: (snapshot) => inner.saveSnapshot(snapshot),
    loadCheckpoint: (consumerId) => inner.loadCheckpoint(consumerId),
    saveCheckpoint: (consumerId, position, transaction) =>
      inner.saveCheckpoint(consumerId, position, transaction),
    transaction: (work) => inner.transaction(work),
    onAppended: (listener) => inner.onAppended(listener),
    close: () => inner.close(),
  };
}

function open(options: { maxEventBytes?: number; storage?: EventStorage<unknown> } = {}) {
  const store = createEventStore({
    storage: options.storage ?? createInMemoryStorage(),
    events: catalogs,
    ...(options.maxEventBytes === undefined ? {} : { maxEventBytes: options.maxEventBytes }),
  });
  opened.push(store);
  return store;
}

/** A store with one order stream at version 1 and a way to prove later failures wrote nothing. */
async function seeded(options: { maxEventBytes?: number } = {}) {
  const store = open(options);
  await store.append('order-1', [created], { streamType: 'Order', expectedVersion: 'no_stream' });
  const observe = async () => ({
    head: await store.headPosition(),
    order: await store.streamInfo('order-1'),
    blob: await store.streamInfo('blob-1'),
    events: await collect(store.readAll()),
  });
  const before = await observe();
  return {
    store,
    async expectNothingWritten() {
      expect(await observe()).toEqual(before);
      expect(before.head).toBe(1);
    },
  };
}

async function collect<T>(events: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const event of events) all.push(event);
  return all;
}

/** Runs `run` (sync throws included) and returns what it threw, asserting its class. */
async function caught<E extends Error>(
  ErrorClass: abstract new (...args: never[]) => E,
  run: () => unknown,
): Promise<E> {
  let thrown: unknown;
  try {
    await run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ErrorClass);
  return thrown as E;
}

describe('event store: schema validation', () => {
  it('refuses a schema violation with the nested field path, writing nothing of the batch', async () => {
    const { store, expectNothingWritten } = await seeded();
    const error = await caught(EventValidationError, () =>
      store.append(
        'order-2',
        [created, { type: 'OrderCreated', data: { items: [{ productId: 'p1', quantity: 0 }], total: 10 } }],
        { streamType: 'Order' },
      ),
    );
    expect(error).toMatchObject({
      code: 'VALIDATION_FAILED',
      name: 'EventValidationError',
      streamId: 'order-2',
      eventType: 'OrderCreated',
      path: 'items.0.quantity',
    });
    expect(error.issues).toHaveLength(1);
    expect(error.message).toBe(
      `Invalid OrderCreated event for stream "order-2": field "items.0.quantity": ${error.issues[0]?.message}`,
    );
    expect(error.message).toMatch(/too small/i);
    await expectNothingWritten();
    expect(await store.streamInfo('order-2')).toBeUndefined();
  });

  it('counts further issues in the message and lists them all', async () => {
    const { store, expectNothingWritten } = await seeded();
    const error = await caught(EventValidationError, () =>
      store.append('order-1', [{ type: 'OrderCreated', data: { items: [], total: -1 } as never }], {
        streamType: 'Order',
      }),
    );
    expect(error.issues.map((issue) => issue.path)).toEqual(['items', 'total']);
    expect(error.path).toBe('items');
    expect(error.message).toMatch(
      /^Invalid OrderCreated event for stream "order-1": field "items": .+ \(and 1 more issue\(s\)\)$/,
    );
    await expectNothingWritten();
  });

  it('names the payload itself when the root fails', async () => {
    const { store, expectNothingWritten } = await seeded();
    const error = await caught(EventValidationError, () =>
      store.append('order-1', [{ type: 'OrderPaid', data: 'pay-1' as never }], { streamType: 'Order' }),
    );
    expect(error).toMatchObject({ code: 'VALIDATION_FAILED', path: '', eventType: 'OrderPaid' });
    expect(error.message).toMatch(/^Invalid OrderPaid event for stream "order-1": payload: /);
    await expectNothingWritten();
  });
  it('waits for a schema that validates asynchronously: stores its output, refuses its issues', async () => {
    const doubled = {
      '~standard': {
        version: 1,
        vendor: 'test',
        validate: async (value: unknown) =>
          typeof value === 'number' ? { value: value * 2 } : { issues: [{ message: 'not a number' }] },
      },
    } as const;
    const store = createEventStore({
      storage: createInMemoryStorage(),
      events: [defineStreamType('Count', { Counted: doubled })],
    });
    const result = await store.append('count-1', [{ type: 'Counted', data: 2 }], { streamType: 'Count' });
    expect(result.events.map((event) => event.data)).toEqual([4]);
    const error = await caught(EventValidationError, () =>
      store.append(
        'count-1',
        [
          { type: 'Counted', data: 3 },
          { type: 'Counted', data: 'x' },
        ],
        {
          streamType: 'Count',
        },
      ),
    );
    expect(error).toMatchObject({ streamId: 'count-1', eventType: 'Counted', path: '' });
    expect(error.message).toBe('Invalid Counted event for stream "count-1": payload: not a number');
    expect(await store.streamInfo('count-1')).toMatchObject({ version: 1 });
    await store.close();
  });
});

describe('event store: unknown types', () => {
  it('refuses an event type the stream type does not declare, listing the declared ones', async () => {
    const { store, expectNothingWritten } = await seeded();
    const error = await caught(UnknownEventTypeError, () =>
      store.append('order-1', [{ type: 'OrderDeleted', data: {} } as never], { streamType: 'Order' }),
    );
    expect(error).toMatchObject({
      code: 'UNKNOWN_EVENT_TYPE',
      streamId: 'order-1',
      streamType: 'Order',
      eventType: 'OrderDeleted',
    });
    expect(error.message).toBe(
      'Unknown event type "OrderDeleted" for stream "order-1" of type "Order"; declared types: OrderCreated, OrderPaid',
    );
    await expectNothingWritten();
  });

  it('does not mistake inherited object keys for event types', async () => {
    const { store, expectNothingWritten } = await seeded();
    for (const type of ['toString', 'constructor', '__proto__']) {
      const error = await caught(UnknownEventTypeError, () =>
        store.append('order-1', [{ type, data: {} } as never], { streamType: 'Order' }),
      );
      expect(error.eventType).toBe(type);
    }
    await expectNothingWritten();
  });

  it('refuses an event of another stream type', async () => {
    const { store, expectNothingWritten } = await seeded();
    const error = await caught(UnknownEventTypeError, () =>
      store.append('order-1', [{ type: 'Ticked', data: { n: 1 } }], { streamType: 'Order' }),
    );
    expect(error).toMatchObject({ eventType: 'Ticked', streamType: 'Order' });
    await expectNothingWritten();
  });

  it('refuses a stream type no catalog registers', async () => {
    const { store, expectNothingWritten } = await seeded();
    const error = await caught(UnknownEventTypeError, () =>
      store.append('ship-1', [created], { streamType: 'Shipment' as never }),
    );
    expect(error).toMatchObject({
      code: 'UNKNOWN_EVENT_TYPE',
      streamId: 'ship-1',
      streamType: 'Shipment',
      eventType: 'OrderCreated',
    });
    expect(error.message).toBe(
      'Unknown event type "OrderCreated" for stream "ship-1" of type "Shipment"; declared types: (none)',
    );
    await expectNothingWritten();
  });

  it('refuses a batch entry that is not an event object', async () => {
    const { store, expectNothingWritten } = await seeded();
    const error = await caught(UnknownEventTypeError, () =>
      store.append('order-1', [null as never], { streamType: 'Order' }),
    );
    expect(error).toMatchObject({ code: 'UNKNOWN_EVENT_TYPE', eventType: 'undefined' });
    await expectNothingWritten();
  });

  it('refuses appending to a stream that exists with another stream type', async () => {
    const { store, expectNothingWritten } = await seeded();
    const error = await caught(StreamTypeMismatchError, () =>
      store.append('order-1', [{ type: 'Ticked', data: { n: 1 } }], { streamType: 'Clock' }),
    );
    expect(error).toMatchObject({
      code: 'STREAM_TYPE_MISMATCH',
      streamId: 'order-1',
      expectedType: 'Clock',
      actualType: 'Order',
    });
    expect(error.message).toBe('Stream "order-1" is of type "Order", not "Clock"');
    await expectNothingWritten();
  });
});

describe('event store: stream ids', () => {
  const invalid: [label: string, streamId: unknown, problem: string][] = [
    ['empty', '', 'must not be empty'],
    ['256 characters', 'x'.repeat(256), 'longer than 255 characters'],
    ['a lone surrogate', 'order-\uD800', 'contains a lone surrogate (not valid UTF-8)'],
    ['a trailing lone surrogate', 'order-\uDFFF', 'contains a lone surrogate (not valid UTF-8)'],
    ['NUL', 'order\u0000-1', 'contains a control character'],
    ['a newline', 'order\n1', 'contains a control character'],
    ['DEL', 'order\u007f', 'contains a control character'],
    ['a number', 42, 'must be a string'],
    ['undefined', undefined, 'must be a string'],
    ['an object', { id: 'order-1' }, 'must be a string'],
  ];

  for (const [label, streamId, problem] of invalid) {
    it(`refuses ${label} on append, read and streamInfo`, async () => {
      const { store, expectNothingWritten } = await seeded();
      const error = await caught(InvalidStreamIdError, () =>
        store.append(streamId as string, [created], { streamType: 'Order' }),
      );
      expect(error.code).toBe('INVALID_STREAM_ID');
      expect(error.streamId).toBe(streamId);
      expect(error.message).toMatch(/^Invalid stream id /);
      expect(error.message.endsWith(`: ${problem}`)).toBe(true);
      await expectNothingWritten();

      const readError = await caught(InvalidStreamIdError, () =>
        collect(store.readStream(streamId as string)),
      );
      expect(readError.message).toBe(error.message);
      await caught(InvalidStreamIdError, () => store.streamInfo(streamId as string));
    });
  }

  it('quotes string ids in the message, shortened when long', async () => {
    const store = open();
    const long = await caught(InvalidStreamIdError, () =>
      store.append('y'.repeat(300), [created], { streamType: 'Order' }),
    );
    expect(long.message).toBe(`Invalid stream id "${'y'.repeat(80)}…": longer than 255 characters`);
    const empty = await caught(InvalidStreamIdError, () =>
      store.append('', [created], { streamType: 'Order' }),
    );
    expect(empty.message).toBe('Invalid stream id "": must not be empty');
  });

  const verbatim = [
    "order'; DROP TABLE events; --",
    'orders/../../etc/passwd',
    'C:\\orders\\1',
    '%2F%00%27',
    '🧾 order 🚀 Zoë',
    `${'z'.repeat(253)}😀`,
    'x'.repeat(255),
    '   ',
  ];

  it('stores SQL-looking, path-looking, emoji and 255-character ids verbatim', async () => {
    const store = open();
    for (const [index, streamId] of verbatim.entries()) {
      const result = await store.append(streamId, [{ type: 'OrderPaid', data: { paymentId: `p${index}` } }], {
        streamType: 'Order',
        expectedVersion: 'no_stream',
      });
      expect(result.streamId).toBe(streamId);
      expect(result.events[0]?.streamId).toBe(streamId);
    }
    for (const [index, streamId] of verbatim.entries()) {
      expect(await store.streamInfo(streamId)).toEqual({ streamId, streamType: 'Order', version: 1 });
      const events = await collect(store.readStream(streamId));
      expect(events.map((event) => [event.streamId, event.data])).toEqual([
        [streamId, { paymentId: `p${index}` }],
      ]);
    }
    const all = await collect(store.readAll());
    expect(all.map((event) => event.streamId)).toEqual(verbatim);
    // Ids that differ only in what a careless store would normalise are different streams.
    expect(await store.streamInfo('orders/../etc/passwd')).toBeUndefined();
    expect(await store.streamInfo('🧾 order 🚀 Zoe')).toBeUndefined();
  });
});

describe('event store: expected version', () => {
  const bogus: [label: string, value: unknown, shown: string][] = [
    ['negative', -1, '-1'],
    ['NaN', Number.NaN, 'NaN'],
    ['fractional', 1.5, '1.5'],
    ['infinite', Number.POSITIVE_INFINITY, 'Infinity'],
    ['a bogus string', 'latest', '"latest"'],
    ['a numeric string', '1', '"1"'],
    ['null', null, 'null'],
  ];

  for (const [label, value, shown] of bogus) {
    it(`refuses ${label} before writing`, async () => {
      const { store, expectNothingWritten } = await seeded();
      const error = await caught(InvalidArgumentError, () =>
        store.append('order-1', [{ type: 'OrderPaid', data: { paymentId: 'p' } }], {
          streamType: 'Order',
          expectedVersion: value as number,
        }),
      );
      expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'expectedVersion' });
      expect(error.message).toBe(`Invalid expectedVersion ${shown}: must be a whole number ≥ 0`);
      await expectNothingWritten();
    });
  }

  it('throws ConcurrencyError with both versions on a mismatch, writing nothing', async () => {
    const { store, expectNothingWritten } = await seeded();
    const cases = [
      [0, 0],
      [2, 2],
      ['no_stream', 'no_stream'],
    ] as const;
    for (const [expectedVersion] of cases) {
      const error = await caught(ConcurrencyError, () =>
        store.append('order-1', [{ type: 'OrderPaid', data: { paymentId: 'p' } }], {
          streamType: 'Order',
          expectedVersion,
        }),
      );
      expect(error).toMatchObject({
        code: 'CONCURRENCY_CONFLICT',
        streamId: 'order-1',
        expectedVersion,
        actualVersion: 1,
      });
      expect(error.message).toBe(
        `Concurrency conflict on stream "order-1": expected version ${expectedVersion}, actual version 1`,
      );
    }
    const missing = await caught(ConcurrencyError, () =>
      store.append('order-9', [created], { streamType: 'Order', expectedVersion: 'stream_exists' }),
    );
    expect(missing).toMatchObject({ expectedVersion: 'stream_exists', actualVersion: 0 });
    await expectNothingWritten();
  });
});

describe('event store: plain JSON payloads', () => {
  class Money {
    constructor(readonly cents: number) {}
  }
  const cyclic: Record<string, unknown> = { name: 'loop' };
  cyclic.self = cyclic;

  const cases: [label: string, value: unknown, path: string, problem: string][] = [
    ['a BigInt', { amount: 10n }, 'value.amount', 'BigInt is not JSON; store it as a string'],
    ['a cycle', { tree: cyclic }, 'value.tree.self', 'circular reference'],
    [
      'a Date',
      { at: new Date('2024-01-01T00:00:00Z') },
      'value.at',
      'a Date (use an ISO string) is not plain JSON',
    ],
    ['NaN', { ratio: Number.NaN }, 'value.ratio', 'NaN is not a JSON number'],
    ['Infinity', [1, Number.POSITIVE_INFINITY], 'value.1', 'Infinity is not a JSON number'],
    ['a Map', { lookup: new Map([['a', 1]]) }, 'value.lookup', 'a Map is not plain JSON'],
    ['a Set', { tags: new Set(['a']) }, 'value.tags', 'a Set is not plain JSON'],
    ['a class instance', { price: new Money(100) }, 'value.price', 'a Money is not plain JSON'],
    ['a function', { callback: () => 1 }, 'value.callback', 'a function is not JSON'],
    ['a hole in an array', { list: [1, undefined, 3] }, 'value.list.1', 'undefined is not JSON'],
    ['a NUL character', { note: 'a\u0000b' }, 'value.note', 'contains U+0000, which stores cannot keep'],
    ['a lone surrogate', { note: 'x\uD800' }, 'value.note', 'contains a lone surrogate (not valid Unicode)'],
    [
      'a NUL character in a key',
      { 'bad\u0000key': 1 },
      'value.bad\u0000key',
      'its key contains U+0000, which stores cannot keep',
    ],
    [
      'deep nesting',
      { a: [{ b: { c: [0, 7n] } }] },
      'value.a.0.b.c.1',
      'BigInt is not JSON; store it as a string',
    ],
  ];

  for (const [label, value, path, problem] of cases) {
    it(`refuses ${label} with its path`, async () => {
      const { store, expectNothingWritten } = await seeded();
      const error = await caught(PayloadNotSerializableError, () =>
        store.append('blob-1', [{ type: 'BlobStored', data: { value } }], { streamType: 'Blob' }),
      );
      expect(error).toMatchObject({
        code: 'PAYLOAD_NOT_SERIALIZABLE',
        streamId: 'blob-1',
        eventType: 'BlobStored',
        path,
      });
      expect(error.message).toBe(`BlobStored on stream "blob-1" is not plain JSON at "${path}": ${problem}`);
      await expectNothingWritten();
    });
  }

  it('refuses a non-JSON payload root', async () => {
    const { store, expectNothingWritten } = await seeded();
    const error = await caught(PayloadNotSerializableError, () =>
      store.append('blob-1', [{ type: 'RawStored', data: 5n }], { streamType: 'Blob' }),
    );
    expect(error.path).toBe('');
    expect(error.message).toBe(
      'RawStored on stream "blob-1" is not plain JSON at the root: BigInt is not JSON; store it as a string',
    );
    await expectNothingWritten();
  });

  it('accepts plain JSON and reads back exactly what was written', async () => {
    const store = open();
    const value = {
      text: 'Zoë 🚀 "quoted" \\ \u2028',
      numbers: [0, -1.5, 1e21, Number.MAX_SAFE_INTEGER],
      flags: [true, false, null],
      nested: { empty: {}, list: [] },
      shared: [cyclic.name, cyclic.name],
      prototypeless: Object.assign(Object.create(null) as object, { ok: 1 }),
    };
    await store.append('blob-1', [{ type: 'BlobStored', data: { value } }], { streamType: 'Blob' });
    const [event] = await collect(store.readStream('blob-1'));
    expect(event?.data).toEqual({ value: JSON.parse(JSON.stringify(value)) });
  });

  it('drops undefined object fields as JSON would, rather than refusing them', async () => {
    const store = open();
    await store.append('blob-1', [{ type: 'BlobStored', data: { value: { kept: 1, gone: undefined } } }], {
      streamType: 'Blob',
    });
    const [event] = await collect(store.readStream('blob-1'));
    expect(event?.data).toStrictEqual({ value: { kept: 1 } });
  });
});

describe('event store: event size', () => {
  it('refuses an event over maxEventBytes, counting UTF-8 bytes of payload and metadata', async () => {
    const { store, expectNothingWritten } = await seeded({ maxEventBytes: 100 });
    const data = { value: 'é'.repeat(40) };
    const metadata = { note: 'x'.repeat(10) };
    const expected = Buffer.byteLength(JSON.stringify(data) + JSON.stringify(metadata));
    const error = await caught(PayloadTooLargeError, () =>
      store.append('blob-1', [{ type: 'BlobStored', data, metadata }], { streamType: 'Blob' }),
    );
    expect(error).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      streamId: 'blob-1',
      eventType: 'BlobStored',
      bytes: expected,
      limit: 100,
    });
    expect(error.message).toBe(
      `BlobStored on stream "blob-1" is ${expected} bytes as JSON; the limit is 100`,
    );
    await expectNothingWritten();
  });

  it('accepts an event of exactly maxEventBytes and refuses one byte more', async () => {
    const store = open({ maxEventBytes: 100 });
    // {"value":"…"} is 12 bytes, {} is 2: 86 bytes of text reach the limit exactly.
    const fits = { value: `${'é'.repeat(40)}abcdef` };
    expect(Buffer.byteLength(`${JSON.stringify(fits)}{}`)).toBe(100);
    await store.append('blob-1', [{ type: 'BlobStored', data: fits }], { streamType: 'Blob' });
    const error = await caught(PayloadTooLargeError, () =>
      store.append('blob-2', [{ type: 'BlobStored', data: { value: `${fits.value}g` } }], {
        streamType: 'Blob',
      }),
    );
    expect(error).toMatchObject({ bytes: 101, limit: 100 });
    expect(await store.headPosition()).toBe(1);
  });

  it('refuses a maxEventBytes that is not a positive whole number', () => {
    for (const maxEventBytes of [0, -1, 1.5, Number.NaN]) {
      expect(() =>
        createEventStore({ storage: createInMemoryStorage(), events: catalogs, maxEventBytes }),
      ).toThrow(InvalidArgumentError);
    }
    expect(() =>
      createEventStore({ storage: createInMemoryStorage(), events: catalogs, maxEventBytes: 0 }),
    ).toThrow('Invalid maxEventBytes 0: must be a whole number ≥ 1');
  });
});

describe('event store: metadata', () => {
  const notObjects: [label: string, value: unknown][] = [
    ['a string', 'actor-1'],
    ['an array', ['actor-1']],
    ['a number', 7],
    ['null', null],
    ['a Date', new Date(0)],
    ['a Map', new Map([['actorId', 'a']])],
  ];

  for (const [label, value] of notObjects) {
    it(`refuses event metadata that is ${label}`, async () => {
      const { store, expectNothingWritten } = await seeded();
      const error = await caught(InvalidMetadataError, () =>
        store.append('order-1', [{ type: 'OrderPaid', data: { paymentId: 'p' }, metadata: value as never }], {
          streamType: 'Order',
        }),
      );
      expect(error).toMatchObject({ code: 'INVALID_METADATA', streamId: 'order-1', field: '(metadata)' });
      expect(error.message).toBe(
        'Invalid metadata for stream "order-1": "(metadata)" must be a plain object',
      );
      await expectNothingWritten();
    });

    it(`refuses shared append metadata that is ${label}`, async () => {
      const { store, expectNothingWritten } = await seeded();
      const error = await caught(InvalidMetadataError, () =>
        store.append('order-1', [{ type: 'OrderPaid', data: { paymentId: 'p' } }], {
          streamType: 'Order',
          metadata: value as never,
        }),
      );
      expect(error).toMatchObject({ code: 'INVALID_METADATA', field: '(metadata)' });
      await expectNothingWritten();
    });
  }

  for (const field of ['actorId', 'correlationId', 'causationId']) {
    it(`refuses a ${field} that is not a non-empty string`, async () => {
      const { store, expectNothingWritten } = await seeded();
      for (const value of [42, '', { id: 'x' }, null]) {
        const error = await caught(InvalidMetadataError, () =>
          store.append('order-1', [{ type: 'OrderPaid', data: { paymentId: 'p' } }], {
            streamType: 'Order',
            metadata: { [field]: value },
          }),
        );
        expect(error).toMatchObject({ code: 'INVALID_METADATA', streamId: 'order-1', field });
        expect(error.message).toBe(
          `Invalid metadata for stream "order-1": "${field}" must be a non-empty string`,
        );
      }
      await expectNothingWritten();
    });
  }

  it('refuses a BigInt in a user field with its path under metadata', async () => {
    const { store, expectNothingWritten } = await seeded();
    const error = await caught(PayloadNotSerializableError, () =>
      store.append(
        'order-1',
        [{ type: 'OrderPaid', data: { paymentId: 'p' }, metadata: { tenant: { shard: 3n } } }],
        { streamType: 'Order' },
      ),
    );
    expect(error).toMatchObject({
      code: 'PAYLOAD_NOT_SERIALIZABLE',
      streamId: 'order-1',
      eventType: 'OrderPaid',
      path: 'metadata.tenant.shard',
    });
    expect(error.message).toBe(
      'OrderPaid on stream "order-1" is not plain JSON at "metadata.tenant.shard": BigInt is not JSON; store it as a string',
    );
    await expectNothingWritten();
  });

  it('merges shared metadata into every event, the event’s own fields winning', async () => {
    const store = open();
    const result = await store.append(
      'order-1',
      [created, { type: 'OrderPaid', data: { paymentId: 'p' }, metadata: { actorId: 'bot', step: 2 } }],
      { streamType: 'Order', metadata: { actorId: 'ada', correlationId: 'req-1' } },
    );
    expect(result.events.map((event) => event.metadata)).toEqual([
      { actorId: 'ada', correlationId: 'req-1' },
      { actorId: 'bot', correlationId: 'req-1', step: 2 },
    ]);
  });
});

describe('event store: event ids', () => {
  it('refuses the same event id twice in one batch', async () => {
    const { store, expectNothingWritten } = await seeded();
    const error = await caught(EventIdConflictError, () =>
      store.append(
        'order-2',
        [
          { ...created, eventId: uuid(1) },
          { type: 'OrderPaid', data: { paymentId: 'p' }, eventId: uuid(1) },
        ],
        { streamType: 'Order' },
      ),
    );
    expect(error).toMatchObject({ code: 'EVENT_ID_CONFLICT', streamId: 'order-2', eventId: uuid(1) });
    expect(error.message).toBe(`Event id ${uuid(1)} on stream "order-2": appears twice in one append`);
    await expectNothingWritten();
  });

  for (const eventId of ['not-a-uuid', '', `${uuid(1)}0`, 42]) {
    it(`refuses the event id ${JSON.stringify(eventId)}`, async () => {
      const { store, expectNothingWritten } = await seeded();
      const error = await caught(InvalidMetadataError, () =>
        store.append(
          'order-1',
          [{ type: 'OrderPaid', data: { paymentId: 'p' }, eventId: eventId as string }],
          {
            streamType: 'Order',
          },
        ),
      );
      expect(error).toMatchObject({ code: 'INVALID_METADATA', streamId: 'order-1', field: 'eventId' });
      expect(error.message).toBe('Invalid metadata for stream "order-1": "eventId" must be a UUID string');
      await expectNothingWritten();
    });
  }

  it('treats a retry of the same append as done, even with a now-stale expected version', async () => {
    const store = open();
    const events = [
      { ...created, eventId: uuid(1) },
      { type: 'OrderPaid' as const, data: { paymentId: 'p' }, eventId: uuid(2) },
    ];
    const first = await store.append('order-1', events, {
      streamType: 'Order',
      expectedVersion: 'no_stream',
    });
    expect(first.alreadyStored).toBe(false);
    const retry = await store.append('order-1', events, {
      streamType: 'Order',
      expectedVersion: 'no_stream',
    });
    expect(retry).toMatchObject({ alreadyStored: true, version: 2, position: 2, streamId: 'order-1' });
    expect(retry.events).toEqual(first.events);
    expect(await store.headPosition()).toBe(2);
    expect(await store.streamInfo('order-1')).toMatchObject({ version: 2 });
  });

  it('refuses a stored event id reused in another stream or in a different batch', async () => {
    const store = open();
    await store.append('order-1', [{ ...created, eventId: uuid(1) }], { streamType: 'Order' });
    const elsewhere = await caught(EventIdConflictError, () =>
      store.append('order-2', [{ ...created, eventId: uuid(1) }], { streamType: 'Order' }),
    );
    expect(elsewhere).toMatchObject({ streamId: 'order-2', eventId: uuid(1) });
    expect(elsewhere.message).toBe(
      `Event id ${uuid(1)} on stream "order-2": already stored in stream "order-1"`,
    );
    const partial = await caught(EventIdConflictError, () =>
      store.append(
        'order-1',
        [
          { ...created, eventId: uuid(1) },
          { type: 'OrderPaid', data: { paymentId: 'p' }, eventId: uuid(2) },
        ],
        { streamType: 'Order' },
      ),
    );
    expect(partial.message).toMatch(/not a retry of one append$/);
    expect(await store.headPosition()).toBe(1);
  });
});

describe('event store: carried-over recording times', () => {
  it('refuses an invalid recordedAt, writing nothing', async () => {
    const { store, expectNothingWritten } = await seeded();
    const event = {
      eventId: globalThis.crypto.randomUUID(),
      type: 'OrderPaid',
      data: { paymentId: 'p' },
      metadata: {},
    };
    const error = await caught(InvalidArgumentError, () =>
      store.appendPrepared({
        streamId: 'order-1',
        streamType: 'Order',
        expectedVersion: 1,
        events: [{ ...event, recordedAt: new Date('not a date') }],
      }),
    );
    expect(error.message).toBe('Invalid recordedAt Invalid Date: is not a valid Date');
    await expectNothingWritten();
  });
});

describe('event store: read options', () => {
  it('readAll filtered by types yields, and is typed as, those types only', async () => {
    const store = open();
    await store.append('clock-1', [{ type: 'Ticked', data: { n: 1 } }], { streamType: 'Clock' });
    await store.append('clock-1', [{ type: 'Tocked', data: { n: 2 } }], { streamType: 'Clock' });
    const ticks = await collect(store.readAll({ types: ['Ticked'] }));
    expectTypeOf(ticks).toEqualTypeOf<StoredEvent<'Ticked', { n: number }>[]>();
    expect(ticks.map((event) => [event.type, event.data.n])).toEqual([['Ticked', 1]]);
    const everything = await collect(store.readAll());
    expectTypeOf(everything[0]?.type).toEqualTypeOf<
      'OrderCreated' | 'OrderPaid' | 'BlobStored' | 'RawStored' | 'Ticked' | 'Tocked' | 'Noted' | undefined
    >();
  });

  const invalidStreamReads: [label: string, options: object, message: string][] = [
    ['pageSize 0', { pageSize: 0 }, 'Invalid pageSize 0: must be a whole number ≥ 1'],
    ['pageSize NaN', { pageSize: Number.NaN }, 'Invalid pageSize NaN: must be a whole number ≥ 1'],
    ['fromVersion 0', { fromVersion: 0 }, 'Invalid fromVersion 0: must be a whole number ≥ 1'],
    ['fromVersion 1.5', { fromVersion: 1.5 }, 'Invalid fromVersion 1.5: must be a whole number ≥ 1'],
    ['toVersion -1', { toVersion: -1 }, 'Invalid toVersion -1: must be a whole number ≥ 0'],
    ['an invalid Date', { until: new Date('not a date') }, 'Invalid until Invalid Date: is not a valid Date'],
    [
      'a string instead of a Date',
      { until: '2026-01-01' },
      'Invalid until "2026-01-01": is not a valid Date',
    ],
    [
      'an unknown direction',
      { direction: 'sideways' },
      `Invalid direction "sideways": must be 'forward' or 'backward'`,
    ],
  ];

  for (const [label, options, message] of invalidStreamReads) {
    it(`readStream refuses ${label}`, async () => {
      const { store } = await seeded();
      const error = await caught(InvalidArgumentError, () => collect(store.readStream('order-1', options)));
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.message).toBe(message);
      expect(error.argument).toBe(message.split(' ')[1]);
    });
  }

  const invalidGlobalReads: [label: string, options: object, message: string][] = [
    ['pageSize 0', { pageSize: 0 }, 'Invalid pageSize 0: must be a whole number ≥ 1'],
    ['after -1', { after: -1 }, 'Invalid after -1: must be a whole number ≥ 0'],
    ['upTo 2.5', { upTo: 2.5 }, 'Invalid upTo 2.5: must be a whole number ≥ 0'],
  ];

  for (const [label, options, message] of invalidGlobalReads) {
    it(`readAll refuses ${label}`, async () => {
      const { store } = await seeded();
      const error = await caught(InvalidArgumentError, () => collect(store.readAll(options)));
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.message).toBe(message);
    });
  }

  it('reads nothing from a stream that does not exist', async () => {
    const { store } = await seeded();
    expect(await collect(store.readStream('order-404'))).toEqual([]);
    expect(await store.streamInfo('order-404')).toBeUndefined();
  });
});

describe('event store: the empty append', () => {
  it('checks the expected version and writes nothing', async () => {
    const { store, expectNothingWritten } = await seeded();
    const existing = await store.append('order-1', [], { streamType: 'Order', expectedVersion: 1 });
    expect(existing).toMatchObject({ streamId: 'order-1', version: 1, events: [], alreadyStored: false });
    const missing = await store.append('order-2', [], { streamType: 'Order', expectedVersion: 'no_stream' });
    expect(missing).toMatchObject({ streamId: 'order-2', version: 0, events: [] });

    const stale = await caught(ConcurrencyError, () =>
      store.append('order-1', [], { streamType: 'Order', expectedVersion: 0 }),
    );
    expect(stale).toMatchObject({ code: 'CONCURRENCY_CONFLICT', expectedVersion: 0, actualVersion: 1 });
    const absent = await caught(ConcurrencyError, () =>
      store.append('order-2', [], { streamType: 'Order', expectedVersion: 'stream_exists' }),
    );
    expect(absent).toMatchObject({ expectedVersion: 'stream_exists', actualVersion: 0 });
    const bad = await caught(InvalidArgumentError, () =>
      store.append('order-1', [], { streamType: 'Order', expectedVersion: -3 }),
    );
    expect(bad.argument).toBe('expectedVersion');
    const otherType = await caught(StreamTypeMismatchError, () =>
      store.append('order-1', [], { streamType: 'Clock', expectedVersion: 1 }),
    );
    expect(otherType).toMatchObject({ expectedType: 'Clock', actualType: 'Order' });
    const unregistered = await caught(UnknownEventTypeError, () =>
      store.append('ship-1', [], { streamType: 'Shipment' as never }),
    );
    expect(unregistered.message).toBe(
      'Unknown event type "(none)" for stream "ship-1" of type "Shipment"; declared types: (none)',
    );
    await expectNothingWritten();
  });
});

describe('event store: closed', () => {
  it('refuses every operation with STORE_CLOSED', async () => {
    const store = open();
    await store.append('order-1', [created], { streamType: 'Order' });
    await store.close();
    await store.close();
    const operations: [string, () => unknown][] = [
      ['append', () => store.append('order-1', [created], { streamType: 'Order' })],
      ['readStream', () => collect(store.readStream('order-1'))],
      ['readAll', () => collect(store.readAll())],
      ['streamInfo', () => store.streamInfo('order-1')],
      ['headPosition', () => store.headPosition()],
      ['prepare', () => store.prepare('order-1', 'Order', [created])],
      [
        'appendPrepared',
        () =>
          store.appendPrepared({
            streamId: 'order-1',
            streamType: 'Order',
            expectedVersion: 'any',
            events: [],
          }),
      ],
    ];
    for (const [name, operation] of operations) {
      const error = await caught(HindsightError, operation);
      expect(error.code, name).toBe('STORE_CLOSED');
      expect(error.message, name).toBe('The event store is closed');
    }
  });
});

describe('event store: paging', () => {
  const total = 1234;

  async function filled() {
    const spy: Spy = { readStreamCalls: 0 };
    const store = open({ storage: countingStorage(createInMemoryStorage(), spy) });
    for (let start = 0; start < total; start += 200) {
      const batch = [];
      for (let n = start; n < Math.min(start + 200, total); n += 1) {
        batch.push(
          n % 2 === 0 ? { type: 'Ticked' as const, data: { n } } : { type: 'Tocked' as const, data: { n } },
        );
      }
      await store.append('clock-1', batch, { streamType: 'Clock' });
      await store.append('audit-1', [{ type: 'Noted', data: { n: start } }], { streamType: 'Audit' });
    }
    return { store, spy };
  }

  const numbers = (events: readonly StoredEvent[]) => events.map((event) => (event.data as { n: number }).n);
  const range = (from: number, to: number) =>
    Array.from({ length: to - from + 1 }, (_, index) => from + index);

  it('reads 1,234 events forward in pages of 100, all in order', async () => {
    const { store, spy } = await filled();
    spy.readStreamCalls = 0;
    const events = await collect(store.readStream('clock-1', { pageSize: 100 }));
    expect(events.map((event) => event.version)).toEqual(range(1, total));
    expect(numbers(events)).toEqual(range(0, total - 1));
    expect(spy.readStreamCalls).toBe(13);
  });

  it('reads them backward, and within version bounds either way', async () => {
    const { store } = await filled();
    const backward = await collect(store.readStream('clock-1', { pageSize: 100, direction: 'backward' }));
    expect(backward.map((event) => event.version)).toEqual(range(1, total).reverse());
    const bounded = await collect(
      store.readStream('clock-1', { pageSize: 100, direction: 'backward', fromVersion: 5, toVersion: 1000 }),
    );
    expect(bounded.map((event) => event.version)).toEqual(range(5, 1000).reverse());
    const forward = await collect(store.readStream('clock-1', { pageSize: 7, fromVersion: 1200 }));
    expect(forward.map((event) => event.version)).toEqual(range(1200, total));
  });

  it('reads the global log in pages, filtered by event type and stream type', async () => {
    const { store } = await filled();
    const all = await collect(store.readAll({ pageSize: 100 }));
    expect(all).toHaveLength(total + 7);
    expect(all.map((event) => event.position)).toEqual(range(1, total + 7));

    const ticks = await collect(store.readAll({ pageSize: 100, types: ['Ticked'] }));
    expect(ticks).toHaveLength(total / 2);
    expect(numbers(ticks)).toEqual(range(0, total / 2 - 1).map((n) => n * 2));
    expect(
      ticks.every((event, index) => index === 0 || event.position > (ticks[index - 1]?.position ?? 0)),
    ).toBe(true);

    const audits = await collect(store.readAll({ pageSize: 2, streamTypes: ['Audit'] }));
    expect(numbers(audits)).toEqual([0, 200, 400, 600, 800, 1000, 1200]);
    expect(audits.every((event) => event.streamType === 'Audit')).toBe(true);

    const mixed = await collect(store.readAll({ pageSize: 100, types: ['Tocked', 'Noted'] }));
    expect(mixed).toHaveLength(total / 2 + 7);
    expect(mixed.filter((event) => event.type === 'Noted')).toHaveLength(7);

    const window = await collect(store.readAll({ pageSize: 100, after: 500, upTo: 700, types: ['Ticked'] }));
    expect(window.every((event) => event.position > 500 && event.position <= 700)).toBe(true);
    expect(window).toHaveLength(
      all.filter((e) => e.position > 500 && e.position <= 700 && e.type === 'Ticked').length,
    );
  });
});
