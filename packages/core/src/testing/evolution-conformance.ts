import assert from 'node:assert/strict';
import { createRepository } from '../aggregates/aggregate-repository.js';
import { defineAggregate } from '../aggregates/define-aggregate.js';
import { isHindsightError } from '../errors/hindsight-error.js';
import type { StoredEvent } from '../events/event.js';
import { evolving, schemaVersionField } from '../events/evolving-schema.js';
import type { StandardSchemaV1 } from '../events/standard-schema.js';
import type { EventStorage } from '../streams/event-storage.js';
import { createEventStore } from '../streams/event-store.js';

/**
 * A Standard Schema for plain objects whose fields are checked by `checks` (core has no schema
 * library): each check returns an issue message or undefined.
 */
function objectSchema<T>(
  checks: { readonly [Field in keyof T]: (value: unknown) => string | undefined },
): StandardSchemaV1<T, T> {
  return {
    '~standard': {
      version: 1,
      vendor: 'hindsight-conformance',
      validate(value) {
        if (typeof value !== 'object' || value === null)
          return { issues: [{ message: 'expected an object' }] };
        const issues = Object.entries(checks).flatMap(([field, check]) => {
          const message = (check as (value: unknown) => string | undefined)(
            (value as Record<string, unknown>)[field],
          );
          return message === undefined ? [] : [{ message, path: [field] }];
        });
        return issues.length > 0 ? { issues } : { value: value as T };
      },
    },
  };
}

const aNumber = (value: unknown) =>
  typeof value === 'number' && Number.isFinite(value) ? undefined : 'expected a number';
const anInteger = (value: unknown) => (Number.isSafeInteger(value) ? undefined : 'expected an integer');
const aString = (value: unknown) => (typeof value === 'string' ? undefined : 'expected a string');

const WalletV1 = defineAggregate('Wallet')
  .events({
    Opened: objectSchema<{ owner: string; email: string }>({ owner: aString, email: aString }),
    Credited: objectSchema<{ amount: number }>({ amount: aNumber }),
    Charged: objectSchema<{ amount: number }>({ amount: aNumber }),
    OpenedWithCredit: objectSchema<{ owner: string; amount: number }>({ owner: aString, amount: aNumber }),
  })
  .initialState(() => ({}))
  .evolve({ Opened: (s) => s, Credited: (s) => s, Charged: (s) => s, OpenedWithCredit: (s) => s })
  .commands({});

const money = objectSchema<{ cents: number; currency: string }>({ cents: anInteger, currency: aString });
const toCents = (v1: { amount: number }) => ({ cents: Math.round(v1.amount * 100), currency: 'EUR' });

// Version 2: a field dropped (email), amounts in cents, Charged renamed Debited, OpenedWithCredit split.
const WalletV2 = defineAggregate('Wallet')
  .events(
    {
      Opened: evolving(WalletV1.schemas.Opened).to(
        2,
        objectSchema<{ owner: string }>({ owner: aString }),
        (v1) => ({
          owner: v1.owner,
        }),
      ),
      Credited: evolving(WalletV1.schemas.Credited).to(2, money, toCents),
      Debited: evolving(WalletV1.schemas.Charged).to(2, money, toCents),
    },
    {
      retired: {
        Charged: 'Debited',
        OpenedWithCredit: (data: { owner: string; amount: number }) => [
          { type: 'Opened', data: { owner: data.owner } },
          { type: 'Credited', data: toCents(data) },
        ],
      },
    },
  )
  .initialState(() => ({ owner: '', cents: 0 }))
  .evolve({
    Opened: (state, { data }) => ({ ...state, owner: data.owner }),
    Credited: (state, { data }) => ({ ...state, cents: state.cents + data.cents }),
    Debited: (state, { data }) => ({ ...state, cents: state.cents - data.cents }),
  })
  .commands({
    credit: (_state, input: { cents: number }) => ({
      type: 'Credited',
      data: { cents: input.cents, currency: 'EUR' },
    }),
  });

const shape = (event: StoredEvent) =>
  `${event.streamId}@${event.version} ${event.type} ${JSON.stringify(event.data)}`;

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

/** Writes version-1 events as the first release of an application did. */
async function writeV1(storage: EventStorage<unknown>): Promise<void> {
  const v1 = createEventStore({ storage, events: [WalletV1] });
  await v1.append(
    'Wallet-w1',
    [
      { type: 'Opened', data: { owner: 'ada', email: 'ada@example.com' } },
      { type: 'Credited', data: { amount: 12.5 } },
      { type: 'Charged', data: { amount: 2 } },
    ],
    { streamType: 'Wallet', expectedVersion: 'no_stream' },
  );
  await v1.append('Wallet-w2', [{ type: 'OpenedWithCredit', data: { owner: 'bob', amount: 3 } }], {
    streamType: 'Wallet',
    expectedVersion: 'no_stream',
  });
}

/** Conformance cases of schema evolution: upcasting and validation on read over a real storage. */
export function evolutionCases<Tx>(): Record<string, (storage: EventStorage<Tx>) => Promise<void>> {
  return {
    'upcasts stored events on every read path: streams, the log, type filters, pages, time travel': async (
      storage,
    ) => {
      await writeV1(storage);
      const store = createEventStore({ storage, events: [WalletV2] });
      const expected = [
        'Wallet-w1@1 Opened {"owner":"ada"}',
        'Wallet-w1@2 Credited {"cents":1250,"currency":"EUR"}',
        'Wallet-w1@3 Debited {"cents":200,"currency":"EUR"}',
        'Wallet-w2@1 Opened {"owner":"bob"}',
        'Wallet-w2@1 Credited {"cents":300,"currency":"EUR"}',
      ];
      // Pages of one stored event each: a split's parts stay together, and paging goes on after them.
      assert.deepEqual((await collect(store.readAll({ pageSize: 1 }))).map(shape), expected);
      assert.deepEqual(
        [
          ...(await collect(store.readStream('Wallet-w1', { pageSize: 2 }))),
          ...(await collect(store.readStream('Wallet-w2'))),
        ].map(shape),
        expected,
      );
      assert.deepEqual(
        (await collect(store.readStream('Wallet-w1', { direction: 'backward', pageSize: 1 }))).map(
          (event) => event.type,
        ),
        ['Debited', 'Credited', 'Opened'],
      );
      assert.deepEqual(
        (await collect(store.readAll({ types: ['Debited', 'Credited'], pageSize: 1 }))).map(shape),
        [expected[1], expected[2], expected[4]],
      );
      const wallets = createRepository(store, WalletV2);
      assert.deepEqual((await wallets.load('w1')).state, { owner: 'ada', cents: 1050 });
      assert.deepEqual((await wallets.load('w1', { atVersion: 2 })).state, { owner: 'ada', cents: 1250 });
      assert.deepEqual((await wallets.load('w2', { asOf: new Date(Date.now() + 60_000) })).state, {
        owner: 'bob',
        cents: 300,
      });
      const { events } = await wallets.execute('w1', 'credit', { cents: 5 });
      assert.equal(events[0]?.metadata[schemaVersionField], 2);
      const [stored] = await storage.readStream('Wallet-w1', {
        direction: 'forward',
        minVersion: 4,
        limit: 1,
      });
      assert.equal(stored?.metadata[schemaVersionField], 2);
      assert.deepEqual((await wallets.load('w1')).state, { owner: 'ada', cents: 1055 });
    },

    'validates on read after upcasting: STORED_EVENT_INVALID names the event, unless turned off': async (
      storage,
    ) => {
      const v1 = createEventStore({ storage, events: [WalletV1] });
      await v1.append('Wallet-bad', [{ type: 'Opened', data: { owner: 'eve', email: 'e@example.com' } }], {
        streamType: 'Wallet',
      });
      // Stored by hand as a faulty release might have: the amount is a string, so its upcast is NaN.
      await storage.append({
        streamId: 'Wallet-bad',
        streamType: 'Wallet',
        expectedVersion: 1,
        events: [
          {
            eventId: globalThis.crypto.randomUUID(),
            type: 'Credited',
            data: { amount: 'ten' },
            metadata: {},
          },
        ],
      });
      const store = createEventStore({ storage, events: [WalletV2] });
      for (const read of [
        () => collect(store.readStream('Wallet-bad')),
        () => collect(store.readAll()),
        () => createRepository(store, WalletV2).load('bad'),
      ]) {
        const error = await read().then(
          () => undefined,
          (caught: unknown) => caught,
        );
        assert.ok(
          isHindsightError(error, 'STORED_EVENT_INVALID'),
          `expected STORED_EVENT_INVALID, got ${error}`,
        );
        assert.equal(error.streamId, 'Wallet-bad');
        assert.equal(error.version, 2);
        assert.equal(error.eventType, 'Credited');
        assert.equal(error.schemaVersion, 1);
        assert.equal(error.path, 'cents');
      }
      const trusting = createEventStore({ storage, events: [WalletV2], validateOnRead: false });
      const events = await collect(trusting.readStream('Wallet-bad'));
      assert.equal(events.length, 2);
      assert.ok(Number.isNaN((events[1]?.data as { cents?: number } | undefined)?.cents));
    },
  };
}
