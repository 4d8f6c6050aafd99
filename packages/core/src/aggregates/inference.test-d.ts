// Type-level tests: checked by `tsc -p tsconfig.json`, never executed. Each `@ts-expect-error`
// fails the type-check if the line below it stops being an error.
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import type { EventMetadata, StoredEvent } from '../events/event.js';
import { defineStreamType, type NewEventOf, type StoredEventOf } from '../events/event-catalog.js';
import { createInMemoryStorage } from '../memory/in-memory-storage.js';
import { createEventStore } from '../streams/event-store.js';
import { createRepository, type ExecuteResult, type HistoryEntry } from './aggregate-repository.js';
import {
  type CommandInput,
  defineAggregate,
  type EvolvingEventOf,
  type StateOf,
} from './define-aggregate.js';

type Status = 'none' | 'pending' | 'paid';
type Line = { sku: string; quantity: number };

const Order = defineAggregate('Order')
  .events({
    OrderCreated: z.object({
      lines: z.array(z.object({ sku: z.string(), quantity: z.number() })),
      currency: z.string().default('EUR'),
    }),
    // Input and output differ: a string in, a number out.
    OrderPaid: z.object({ paymentId: z.string(), amount: z.string().transform(Number) }),
    OrderReset: z.object({}),
  })
  .initialState(() => ({ status: 'none' as Status, lines: [] as Line[], paid: 0 }))
  .evolve({
    OrderCreated: (state, { data }) => ({ ...state, status: 'pending', lines: data.lines }),
    OrderPaid: (state, { data }) => ({ ...state, status: 'paid', paid: data.amount }),
    OrderReset: () => ({ status: 'none', lines: [], paid: 0 }),
  })
  .commands({
    create: (_state, input: { lines: Line[] }) => ({ type: 'OrderCreated', data: { lines: input.lines } }),
    pay: (_state, input: { paymentId: string; amount: string }) => ({ type: 'OrderPaid', data: input }),
    reset: () => [{ type: 'OrderReset', data: {} }],
  });

const Audit = defineStreamType('Audit', { Noted: z.object({ note: z.string() }) });

type State = { status: Status; lines: Line[]; paid: number };
type Created = StoredEvent<'OrderCreated', { lines: Line[]; currency: string }>;
type Paid = StoredEvent<'OrderPaid', { paymentId: string; amount: number }>;
type Reset = StoredEvent<'OrderReset', Record<string, never>>;
type OrderEvent = StoredEventOf<typeof Order.schemas>;

const store = createEventStore({ storage: createInMemoryStorage(), events: [Order, Audit] });
const orders = createRepository(store, Order);

describe('aggregate definitions', () => {
  it('infer name, state and event payloads (schema output) without annotations', () => {
    expectTypeOf(Order.name).toEqualTypeOf<'Order'>();
    expectTypeOf(Order.streamType).toEqualTypeOf<'Order'>();
    expectTypeOf<StateOf<typeof Order>>().toEqualTypeOf<State>();
    expectTypeOf<OrderEvent['type']>().toEqualTypeOf<'OrderCreated' | 'OrderPaid' | 'OrderReset'>();
    expectTypeOf<Extract<OrderEvent, { type: 'OrderPaid' }>['data']>().toEqualTypeOf<Paid['data']>();
    expectTypeOf<Extract<OrderEvent, { type: 'OrderCreated' }>['data']>().toEqualTypeOf<Created['data']>();
    expectTypeOf<
      Extract<EvolvingEventOf<typeof Order.schemas>, { type: 'OrderPaid' }>['data']
    >().toEqualTypeOf<{
      paymentId: string;
      amount: number;
    }>();
  });

  it('types new events by schema input: defaults optional, transforms take their input', () => {
    type NewOrderEvent = NewEventOf<typeof Order.schemas>;
    expectTypeOf<Extract<NewOrderEvent, { type: 'OrderCreated' }>['data']>().toEqualTypeOf<{
      lines: Line[];
      currency?: string | undefined;
    }>();
    expectTypeOf<Extract<NewOrderEvent, { type: 'OrderPaid' }>['data']>().toEqualTypeOf<{
      paymentId: string;
      amount: string;
    }>();
  });

  it('infers command inputs from the handler annotation; no annotation means no input', () => {
    expectTypeOf<CommandInput<typeof Order.commands.create>>().toEqualTypeOf<{ lines: Line[] }>();
    expectTypeOf<CommandInput<typeof Order.commands.pay>>().toEqualTypeOf<{
      paymentId: string;
      amount: string;
    }>();
    expectTypeOf<CommandInput<typeof Order.commands.reset>>().toEqualTypeOf<undefined>();
  });

  it('refuses evolve handlers that are missing, unknown or return another state', () => {
    const events = defineAggregate('Light')
      .events({ On: z.object({}), Off: z.object({}) })
      .initialState(() => ({ on: false }));
    // @ts-expect-error Off has no handler: evolve is exhaustive
    events.evolve({ On: () => ({ on: true }) });
    // @ts-expect-error Dimmed is not an event of Light
    events.evolve({ On: () => ({ on: true }), Off: () => ({ on: false }), Dimmed: () => ({ on: false }) });
    // @ts-expect-error a handler must return the state type
    events.evolve({ On: () => ({ on: 'yes' }), Off: () => ({ on: false }) });
    events.evolve({
      On: (state, event) => {
        expectTypeOf(event.type).toEqualTypeOf<'On'>();
        expectTypeOf(event.metadata).toEqualTypeOf<EventMetadata>();
        return { on: !state.on || true };
      },
      Off: () => ({ on: false }),
    });
  });

  it('refuses commands that emit undeclared event types or wrong payloads', () => {
    const light = defineAggregate('Light')
      .events({ On: z.object({ brightness: z.number() }) })
      .initialState(() => ({ on: false }))
      .evolve({ On: () => ({ on: true }) });
    light.commands({ on: () => ({ type: 'On', data: { brightness: 1 } }) });
    // @ts-expect-error Off is not declared
    light.commands({ off: () => ({ type: 'Off', data: {} }) });
    // @ts-expect-error brightness is a number
    light.commands({ on: () => ({ type: 'On', data: { brightness: 'max' } }) });
    // @ts-expect-error brightness is required
    light.commands({ on: () => [{ type: 'On', data: {} }] });
  });
});

describe('repository', () => {
  it('types execute results: state, version and the stored event union', async () => {
    const result = await orders.execute('o1', 'create', { lines: [{ sku: 'a', quantity: 1 }] });
    expectTypeOf(result).toEqualTypeOf<ExecuteResult<State, OrderEvent>>();
    expectTypeOf(result.state).toEqualTypeOf<State>();
    expectTypeOf(result.version).toEqualTypeOf<number>();
    expectTypeOf(result.events).toEqualTypeOf<readonly (Created | Paid | Reset)[]>();
    const paid = result.events.find((event) => event.type === 'OrderPaid');
    if (paid?.type === 'OrderPaid') expectTypeOf(paid.data.amount).toEqualTypeOf<number>();

    const loaded = await orders.load('o1', { atVersion: 1 });
    expectTypeOf(loaded.state).toEqualTypeOf<State>();
    for await (const entry of orders.history('o1')) {
      expectTypeOf(entry).toEqualTypeOf<HistoryEntry<State, OrderEvent>>();
    }
  });

  it('types command names and inputs', async () => {
    await orders.execute('o1', 'pay', { paymentId: 'p1', amount: '10' });
    await orders.execute('o1', 'reset', undefined);
    // @ts-expect-error refund is not a command of Order
    await orders.execute('o1', 'refund', {});
    // @ts-expect-error amount is the schema input (a string), not the output
    await orders.execute('o1', 'pay', { paymentId: 'p1', amount: 10 });
    // @ts-expect-error amount is missing
    await orders.execute('o1', 'pay', { paymentId: 'p1' });
    // @ts-expect-error the input is required
    await orders.execute('o1', 'create');
    // @ts-expect-error reset takes no input
    await orders.execute('o1', 'reset', { hard: true });
  });

  it('types chained command handles', async () => {
    const result = await orders.execute('o1', (order) => {
      expectTypeOf(order.create).parameters.toEqualTypeOf<[input: { lines: Line[] }]>();
      expectTypeOf(order.reset).parameters.toEqualTypeOf<[input?: undefined]>();
      const next = order.create({ lines: [] });
      expectTypeOf(next).toEqualTypeOf(order);
      return next.pay({ paymentId: 'p', amount: '1' }).reset();
    });
    expectTypeOf(result.state).toEqualTypeOf<State>();
    // @ts-expect-error refund is not a command
    await orders.execute('o1', (order) => order.create({ lines: [] }).refund());
    // @ts-expect-error paymentId must be a string
    await orders.execute('o1', (order) => order.pay({ paymentId: 1, amount: '1' }));
    // @ts-expect-error create needs its input
    await orders.execute('o1', (order) => order.create());
  });
});

describe('event store', () => {
  it('types append by the registered catalogs', async () => {
    const result = await store.append('o1', [{ type: 'OrderCreated', data: { lines: [] } }], {
      streamType: 'Order',
      expectedVersion: 'no_stream',
    });
    expectTypeOf(result.events).toEqualTypeOf<
      readonly (Created | Paid | Reset | StoredEvent<'Noted', { note: string }>)[]
    >();
    await store.append('a1', [{ type: 'Noted', data: { note: 'hi' } }], {
      streamType: 'Audit',
      inTransaction: async (_transaction, events) => {
        for (const event of events) {
          if (event.type === 'Noted') expectTypeOf(event.data).toEqualTypeOf<{ note: string }>();
        }
      },
    });
    // @ts-expect-error OrderShipped is not registered
    await store.append('o1', [{ type: 'OrderShipped', data: {} }], { streamType: 'Order' });
    // @ts-expect-error note must be a string
    await store.append('a1', [{ type: 'Noted', data: { note: 1 } }], { streamType: 'Audit' });
    // @ts-expect-error Shipment is not a registered stream type
    await store.append('s1', [{ type: 'Noted', data: { note: 'x' } }], { streamType: 'Shipment' });
    const latest = { streamType: 'Audit', expectedVersion: 'latest' } as const;
    // @ts-expect-error the expected version is a number or one of the named cases
    await store.append('a1', [{ type: 'Noted', data: { note: 'x' } }], latest);
  });

  it('types reads and readAll filters', async () => {
    for await (const event of store.readStream('o1')) {
      if (event.type === 'OrderPaid')
        expectTypeOf(event.data).toEqualTypeOf<{ paymentId: string; amount: number }>();
      if (event.type === 'Noted') expectTypeOf(event.data).toEqualTypeOf<{ note: string }>();
    }
    const all = store.readAll({ types: ['OrderPaid', 'Noted'], streamTypes: ['Order', 'Audit'] });
    for await (const event of all) expectTypeOf(event.position).toEqualTypeOf<number>();
    // @ts-expect-error OrderShipped is not a registered event type
    store.readAll({ types: ['OrderShipped'] });
    // @ts-expect-error Shipment is not a registered stream type
    store.readAll({ streamTypes: ['Shipment'] });
  });
});
