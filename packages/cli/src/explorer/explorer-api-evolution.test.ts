import {
  type AggregateDefinition,
  createEventStore,
  createInMemoryStorage,
  defineAggregate,
  evolving,
  personal,
} from '@hindsight/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { OpenedStore } from '../internal/open-store.js';
import { ExplorerApi } from './explorer-api.js';
import { logQuery, stateQuery, streamEventsQuery } from './query-schemas.js';

const v1 = z.object({ amount: z.number() });

const AccountV1 = defineAggregate('Account')
  .events({ Deposited: v1, OpenedWithDeposit: z.object({ amount: z.number() }) })
  .initialState(() => ({}))
  .evolve({ Deposited: (state) => state, OpenedWithDeposit: (state) => state })
  .commands({});

// Today's definition: amounts in cents, and OpenedWithDeposit split into Opened + Deposited.
const Account = defineAggregate('Account')
  .events(
    {
      Opened: z.object({}),
      Deposited: evolving(v1).to(2, z.object({ cents: z.number().int() }), ({ amount }) => ({
        cents: Math.round(amount * 100),
      })),
    },
    {
      retired: {
        OpenedWithDeposit: (data: { amount: number }) => [
          { type: 'Opened', data: {} },
          { type: 'Deposited', data: { cents: Math.round(data.amount * 100) } },
        ],
      },
    },
  )
  .initialState(() => ({ cents: 0 }))
  .evolve({ Opened: (state) => state, Deposited: (state, { data }) => ({ cents: state.cents + data.cents }) })
  .commands({});

async function explorerOverV1Events(storage = createInMemoryStorage()): Promise<ExplorerApi> {
  const v1Store = createEventStore({ storage, events: [AccountV1] });
  await v1Store.append('Account-a1', [{ type: 'OpenedWithDeposit', data: { amount: 1 } }], {
    streamType: 'Account',
  });
  await v1Store.append('Account-a1', [{ type: 'Deposited', data: { amount: 2.5 } }], {
    streamType: 'Account',
  });
  const opened = {
    storage,
    description: 'in memory',
    existed: true,
    close: () => storage.close(),
  } as unknown as OpenedStore;
  // As the config module hands them over: untyped definitions.
  return new ExplorerApi(opened, [Account as unknown as AggregateDefinition]);
}

const dataOf = (body: unknown) =>
  (body as { events: { type: string; data: unknown; position: number }[] }).events.map(
    ({ type, data, position }) => [position, type, data],
  );

describe('explorer API over events of older schema versions', () => {
  it('shows them in the current shape, keeping the parts of a split on one page', async () => {
    const api = await explorerOverV1Events();
    const first = (await api.log(logQuery.parse({ limit: '1' }))) as { next: number | null };
    expect(dataOf(first)).toEqual([
      [1, 'Opened', {}],
      [1, 'Deposited', { cents: 100 }],
    ]);
    expect(first.next).toBe(1);
    const second = await api.log(logQuery.parse({ after: '1', limit: '1' }));
    expect(dataOf(second)).toEqual([[2, 'Deposited', { cents: 250 }]]);
    const stream = (await api.streamEvents('Account-a1', streamEventsQuery.parse({ limit: '1' }))) as {
      next: number | null;
    };
    expect(dataOf(stream)).toHaveLength(2);
    expect(stream.next).toBe(2);
    expect(await api.state('Account', 'a1', stateQuery.parse({}))).toMatchObject({
      state: { cents: 350 },
    });
  });

  it('marks an event that does not fit its current schema instead of showing its upcast value as data', async () => {
    const storage = createInMemoryStorage();
    const api = await explorerOverV1Events(storage);
    // Stored by a faulty release: an amount as text, which the upcaster turns into NaN.
    await storage.append({
      streamId: 'Account-a1',
      streamType: 'Account',
      expectedVersion: 2,
      events: [{ eventId: crypto.randomUUID(), type: 'Deposited', data: { amount: 'ten' }, metadata: {} }],
    });
    const fits = (body: unknown) =>
      (body as { events: { position: number; type: string; invalid?: unknown }[] }).events.map(
        ({ position, type, invalid }) => [position, type, invalid ?? 'fits'],
      );
    const expected = [
      [1, 'Opened', 'fits'],
      [1, 'Deposited', 'fits'],
      [2, 'Deposited', 'fits'],
      [3, 'Deposited', { path: 'cents', message: expect.stringContaining('number') }],
    ];
    expect(fits(await api.log(logQuery.parse({})))).toEqual(expected);
    expect(fits(await api.streamEvents('Account-a1', streamEventsQuery.parse({})))).toEqual(expected);
  });

  it('does not mark personal fields, decrypted or forgotten, as not fitting', async () => {
    const Member = defineAggregate('Member')
      .events({
        Joined: personal(z.object({ memberId: z.string(), email: z.string().email() }), {
          subject: (data) => data.memberId,
          fields: ['email'],
        }),
      })
      .initialState(() => ({}))
      .evolve({ Joined: (state) => state })
      .commands({});
    const storage = createInMemoryStorage();
    const store = createEventStore({ storage, events: [Member] });
    for (const id of ['m-1', 'm-2']) {
      await store.append(
        `Member-${id}`,
        [{ type: 'Joined', data: { memberId: id, email: `${id}@example.com` } }],
        {
          streamType: 'Member',
        },
      );
    }
    await store.forget('m-1');
    const opened = { storage, description: 'in memory', existed: true, close: () => storage.close() };
    const api = new ExplorerApi(opened as unknown as OpenedStore, [Member as unknown as AggregateDefinition]);
    const { events } = (await api.log(logQuery.parse({}))) as {
      events: { data: unknown; invalid?: unknown }[];
    };
    expect(events.map((event) => event.invalid)).toEqual([undefined, undefined, undefined]);
    expect(events[1]?.data).toEqual({ memberId: 'm-2', email: 'm-2@example.com' });
  });
});
