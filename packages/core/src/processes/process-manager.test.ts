import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { createRepository } from '../aggregates/aggregate-repository.js';
import { defineAggregate } from '../aggregates/define-aggregate.js';
import { isHindsightError } from '../errors/hindsight-error.js';
import type { StoredEvent } from '../events/event.js';
import { createInMemoryStorage } from '../memory/in-memory-storage.js';
import { createEventStore } from '../streams/event-store.js';
import { type CommandRejection, defineProcess } from './define-process.js';
import { createProcessManager } from './process-manager.js';

const Order = defineAggregate('Order')
  .events({
    OrderCreated: z.object({ total: z.number() }),
    OrderPaid: z.object({}),
    OrderCancelled: z.object({ reason: z.string() }),
  })
  .initialState(() => ({ status: 'none' as 'none' | 'open' | 'paid' | 'cancelled' }))
  .evolve({
    OrderCreated: () => ({ status: 'open' as const }),
    OrderPaid: () => ({ status: 'paid' as const }),
    OrderCancelled: () => ({ status: 'cancelled' as const }),
  })
  .commands({
    create: (_state, input: { total: number }) => ({ type: 'OrderCreated', data: input }),
    pay: (state, _input: undefined, context) => {
      if (state.status !== 'open') context.reject('NOT_OPEN');
      return { type: 'OrderPaid', data: {} };
    },
    cancel: (state, input: { reason: string }, context) => {
      if (state.status !== 'open') context.reject('NOT_OPEN', `cannot cancel a ${state.status} order`);
      return { type: 'OrderCancelled', data: input };
    },
  });

const Shipment = defineAggregate('Shipment')
  .events({ ShipmentPrepared: z.object({ orderId: z.string() }) })
  .initialState(() => ({ prepared: false }))
  .evolve({ ShipmentPrepared: () => ({ prepared: true }) })
  // No guard against preparing twice, so only the process manager's exactly-once sending keeps
  // a repeated step from showing as a second event.
  .commands({ prepare: (_state, input: { orderId: string }) => ({ type: 'ShipmentPrepared', data: input }) });

const orderId = (event: StoredEvent) => event.streamId.slice('Order-'.length);

const Fulfilment = defineProcess('fulfilment', {
  from: [Order],
  to: [Shipment, Order],
  initialState: () => ({ status: 'waiting' as string, shipments: 0 }),
})
  .on('OrderCreated', {
    key: orderId,
    handle: (state, event, context) => {
      context.execute(
        Order,
        orderId(event),
        'cancel',
        { reason: 'unpaid' },
        { deadline: 'payment', afterMs: 30 * 60_000 },
      );
      return { ...state, status: `created:${event.data.total}` };
    },
  })
  .on('OrderPaid', {
    key: orderId,
    handle: (state, event, context) => {
      context.cancelDeadline('payment');
      context.execute(Shipment, orderId(event), 'prepare', { orderId: orderId(event) });
      return { ...state, status: 'paid', shipments: state.shipments + 1 };
    },
  })
  .on('OrderCancelled', {
    key: orderId,
    handle: (state, _event, context) => {
      context.complete();
      return state;
    },
  });

const crashable = new Set(['append', 'transaction', 'documents.put', 'documents.delete', 'saveCheckpoint']);

type Crash = (method: string, args: readonly unknown[], phase: 'before' | 'after') => boolean;

/**
 * Wraps a storage so that one call "crashes the process": throws before or after doing its work.
 * Methods of a capability object are named `capability.method`.
 */
function crashing<Target extends object>(storage: Target, crash: Crash, prefix = ''): Target {
  return new Proxy(storage, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      const name = `${prefix}${String(property)}`;
      if (property === 'documents' && typeof value === 'object' && value !== null) {
        return crashing(value, crash, 'documents.');
      }
      if (typeof value !== 'function') return value;
      if (!crashable.has(name)) return value.bind(target);
      return async (...args: unknown[]) => {
        if (crash(name, args, 'before')) throw new Error(`crash before ${name}`);
        const result = await value.apply(target, args);
        if (crash(name, args, 'after')) throw new Error(`crash after ${name}`);
        return result;
      };
    },
  });
}

async function streamEvents(store: { readStream(id: string): AsyncIterable<StoredEvent> }, streamId: string) {
  const events: StoredEvent[] = [];
  for await (const event of store.readStream(streamId)) events.push(event);
  return events;
}

const noRetry = { retry: { attempts: 1 } };

describe('process managers', () => {
  it('issue commands with correlation and causation ids, and keep state per correlation key', async () => {
    const storage = createInMemoryStorage();
    const store = createEventStore({ storage, events: [Order, Shipment] });
    const orders = createRepository(store, Order);
    const manager = createProcessManager(store, Fulfilment);
    await manager.start();
    await orders.execute(
      'o1',
      'create',
      { total: 5 },
      { metadata: { correlationId: 'request-1', actorId: 'ann' } },
    );
    const paid = await orders.execute('o1', 'pay', undefined, { metadata: { correlationId: 'request-1' } });
    await manager.waitUntilCaughtUp();
    const [prepared, ...more] = await streamEvents(store, 'Shipment-o1');
    expect(more).toEqual([]);
    expect(prepared?.metadata).toEqual({
      correlationId: 'request-1',
      causationId: paid.events[0]?.eventId,
      causationDepth: 1,
    });
    expect(await manager.state('o1')).toEqual({ status: 'paid', shipments: 1 });
    expect(await manager.scheduled()).toEqual([]);
    await manager.stop();
  });

  for (const [label, crash] of [
    [
      'inside the step transaction',
      (method: string, _args: readonly unknown[], phase: string) =>
        method === 'documents.put' && phase === 'before',
    ],
    [
      'after the step committed, before sending',
      (method: string, args: readonly unknown[], phase: string) =>
        method === 'append' &&
        (args[0] as { streamType: string }).streamType === 'Shipment' &&
        phase === 'before',
    ],
    [
      'after sending, before the outbox entry is cleared',
      (method: string, args: readonly unknown[], phase: string) =>
        method === 'append' &&
        (args[0] as { streamType: string }).streamType === 'Shipment' &&
        phase === 'after',
    ],
  ] as const) {
    it(`have exactly one effect per event after a crash ${label}`, async () => {
      const storage = createInMemoryStorage();
      const writer = createEventStore({ storage, events: [Order, Shipment] });
      const orders = createRepository(writer, Order);
      await orders.execute('o1', 'create', { total: 5 });
      await orders.execute('o1', 'pay', undefined);

      // After the crash the process is dead: every later write of it fails too (a page that
      // failed must not get through on the one-event-at-a-time retry).
      let crashed = false;
      const faulty = crashing(storage, (method, args, phase) => {
        if (!crashed && !crash(method, args, phase)) return false;
        crashed = true;
        return true;
      });
      const doomed = createProcessManager(
        createEventStore({ storage: faulty, events: [Order, Shipment] }),
        Fulfilment,
        noRetry,
      );
      await doomed.start();
      await expect(doomed.waitUntilCaughtUp()).rejects.toMatchObject({ code: 'HANDLER_FAILED' });
      expect(crashed).toBe(true);
      await doomed.stop();

      // A new process over the same storage: the restart.
      const manager = createProcessManager(
        createEventStore({ storage, events: [Order, Shipment] }),
        Fulfilment,
        noRetry,
      );
      await manager.start();
      await manager.waitUntilCaughtUp();
      await manager.dispatchDue();
      expect((await streamEvents(writer, 'Shipment-o1')).map((event) => event.type)).toEqual([
        'ShipmentPrepared',
      ]);
      expect(await manager.state('o1')).toEqual({ status: 'paid', shipments: 1 });
      expect(await manager.scheduled()).toEqual([]);
      // The command's event lies beyond the filter: the loop moves the checkpoint past it on its own.
      await manager.waitUntilCaughtUp();
      expect(await storage.loadCheckpoint('process:fulfilment')).toBe(await storage.headPosition());
      expect((await manager.status()).state).toBe('running');
      await manager.stop();
    });
  }

  it('run in partitions by instance key, shared by two processes: each instance stepped in order, each command sent once', async () => {
    let now = new Date('2030-01-01T12:00:00.000Z');
    const clock = () => now;
    const storage = createInMemoryStorage({ clock });
    // One instance per order total, fed by the orders of that total: an instance spans streams.
    const Tally = defineProcess('tally', {
      from: [Order],
      to: [Order],
      initialState: () => ({ orders: [] as string[] }),
    }).on('OrderCreated', {
      key: (event) => `total-${event.data.total}`,
      handle: (state, event, context) => {
        context.execute(
          Order,
          orderId(event),
          'cancel',
          { reason: 'tallied' },
          { deadline: `cancel-${orderId(event)}`, afterMs: 60_000 },
        );
        return { orders: [...state.orders, orderId(event)] };
      },
    });
    const processOf = (owner: string) =>
      createProcessManager(createEventStore({ storage, events: [Order] }), Tally, {
        clock,
        partitions: 4,
        pollIntervalMs: 10,
        lease: { owner, ttlMs: 60_000 },
      });
    const [first, second] = [processOf('first'), processOf('second')];
    await first.start();
    await second.start();
    const store = createEventStore({ storage, events: [Order] });
    const orders = createRepository(store, Order);
    const created: Record<string, string[]> = {};
    for (let i = 0; i < 24; i += 1) {
      const total = 1 + (i % 5);
      await orders.execute(`o${i}`, 'create', { total });
      created[`total-${total}`] = [...(created[`total-${total}`] ?? []), `o${i}`];
    }
    await Promise.all([first.waitUntilCaughtUp(), second.waitUntilCaughtUp()]);
    const owners = new Set(((await first.status()).partitions ?? []).map((partition) => partition.owner));
    expect(owners).toEqual(new Set(['first', 'second']));
    for (const [key, ids] of Object.entries(created)) {
      expect(await first.state(key)).toEqual({ orders: ids });
    }
    expect(await first.scheduled()).toHaveLength(24);

    // Due: each partition's runner sends its own instances' commands, once.
    now = new Date('2030-01-01T12:02:00.000Z');
    for (let wait = 0; (await first.scheduled()).length > 0 && wait < 200; wait += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(await first.scheduled()).toEqual([]);
    for (let i = 0; i < 24; i += 1) {
      expect((await streamEvents(store, `Order-o${i}`)).map((event) => event.type)).toEqual([
        'OrderCreated',
        'OrderCancelled',
      ]);
    }
    await first.stop();
    await second.stop();
  });

  it('fire a deadline when due, durably across restarts, and cancel it when the awaited event arrives', async () => {
    let now = new Date('2030-01-01T12:00:00.000Z');
    const clock = () => now;
    const storage = createInMemoryStorage({ clock });
    const store = createEventStore({ storage, events: [Order, Shipment] });
    const orders = createRepository(store, Order);
    const rejections: string[] = [];
    const options = {
      clock,
      pollIntervalMs: 60_000,
      onCommandRejected: (error: { reason: string }) => void rejections.push(error.reason),
    };
    let manager = createProcessManager(store, Fulfilment, options);
    await manager.start();
    await orders.execute('unpaid', 'create', { total: 1 });
    await orders.execute('paid', 'create', { total: 2 });
    await manager.waitUntilCaughtUp();
    expect(
      (await manager.scheduled()).map((command) => [command.instance, command.deadline, command.dueAt]),
    ).toEqual([
      ['unpaid', 'payment', new Date('2030-01-01T12:30:00.000Z')],
      ['paid', 'payment', new Date('2030-01-01T12:30:00.000Z')],
    ]);
    await orders.execute('paid', 'pay', undefined);
    await manager.waitUntilCaughtUp();
    expect((await manager.scheduled()).map((command) => command.instance)).toEqual(['unpaid']);

    // Restart: the deadline lives in storage, not in a timer.
    await manager.stop();
    manager = createProcessManager(store, Fulfilment, options);
    await manager.start();
    now = new Date('2030-01-01T12:29:59.999Z');
    expect(await manager.dispatchDue()).toBe(0);
    now = new Date('2030-01-01T12:31:00.000Z');
    expect(await manager.dispatchDue()).toBe(1);
    await manager.waitUntilCaughtUp();
    expect((await orders.load('unpaid')).state.status).toBe('cancelled');
    expect((await orders.load('paid')).state.status).toBe('paid');
    // OrderCancelled completed the instance: its state is gone.
    expect(await manager.state('unpaid')).toBeUndefined();
    expect(await manager.scheduled()).toEqual([]);
    expect(rejections).toEqual([]);
    await manager.stop();
  });

  it('end an instance whose stream is deleted with the onStreamDeleted step, cancelling its deadlines', async () => {
    const store = createEventStore({ storage: createInMemoryStorage(), events: [Order, Shipment] });
    const orders = createRepository(store, Order);
    const deletions: [string, number, string | undefined, string][] = [];
    const Ending = Fulfilment.onStreamDeleted({
      key: (deletion) => orderId(deletion.event),
      handle: (state, deletion, context) => {
        deletions.push([deletion.streamId, deletion.deletedVersion, deletion.reason, state.status]);
        context.complete();
        return state;
      },
    });
    expect(Ending.types).toContain('$StreamDeleted');
    expect(() => Ending.onStreamDeleted({ key: () => 'x', handle: (state) => state })).toThrow(
      /declared twice/,
    );
    const manager = createProcessManager(store, Ending, { pollIntervalMs: 10 });
    await manager.start();
    await orders.execute('gone', 'create', { total: 5 });
    await orders.execute('kept', 'create', { total: 6 });
    await manager.waitUntilCaughtUp();
    expect((await manager.scheduled()).map((command) => command.instance)).toEqual(['gone', 'kept']);
    await store.deleteStream(Order.streamIdOf('gone'), { reason: 'erasure' });
    await manager.waitUntilCaughtUp();
    expect(deletions).toEqual([['Order-gone', 1, 'erasure', 'created:5']]);
    expect(await manager.state('gone')).toBeUndefined();
    expect((await manager.scheduled()).map((command) => command.instance)).toEqual(['kept']);
    await manager.stop();
  });

  it('recognise a deadline command sent before a crash, though its aggregate now refuses it', async () => {
    let now = new Date('2030-01-01T12:00:00.000Z');
    const clock = () => now;
    const storage = createInMemoryStorage({ clock });
    const orders = createRepository(createEventStore({ storage, events: [Order, Shipment] }), Order);
    const rejections: string[] = [];
    const options = {
      clock,
      retry: { attempts: 1 },
      onCommandRejected: () => void rejections.push('rejected'),
    };
    let armed = true;
    const faulty = crashing(storage, (method, args, phase) => {
      const cancelling =
        method === 'append' &&
        (args[0] as { events: { type: string }[] }).events[0]?.type === 'OrderCancelled';
      if (!armed || !cancelling || phase !== 'after') return false;
      armed = false;
      return true;
    });
    const doomed = createProcessManager(
      createEventStore({ storage: faulty, events: [Order, Shipment] }),
      Fulfilment,
      options,
    );
    await doomed.start();
    await orders.execute('o1', 'create', { total: 1 });
    await doomed.waitUntilCaughtUp();
    now = new Date('2030-01-01T13:00:00.000Z');
    await expect(doomed.dispatchDue()).rejects.toThrow('crash after append');
    await doomed.stop();

    const manager = createProcessManager(
      createEventStore({ storage, events: [Order, Shipment] }),
      Fulfilment,
      options,
    );
    await manager.start();
    await manager.waitUntilCaughtUp();
    // Sending again: cancel is refused (already cancelled), but its events are ours: not a rejection.
    expect(await manager.scheduled()).toEqual([]);
    expect(rejections).toEqual([]);
    const history = [];
    for await (const entry of orders.history('o1')) history.push(entry.event.type);
    expect(history).toEqual(['OrderCreated', 'OrderCancelled']);
    await manager.stop();
  });

  it('drop a deadline command its aggregate refuses, reporting the refusal', async () => {
    let now = new Date('2030-01-01T12:00:00.000Z');
    const storage = createInMemoryStorage();
    const store = createEventStore({ storage, events: [Order, Shipment] });
    const orders = createRepository(store, Order);
    const rejections: string[] = [];
    const Blind = defineProcess('blind', { from: [Order], to: [Order], initialState: () => ({}) }).on(
      'OrderCreated',
      {
        key: orderId,
        handle: (state, event, context) => {
          context.execute(
            Order,
            orderId(event),
            'cancel',
            { reason: 'late' },
            { deadline: 'd', afterMs: 1_000 },
          );
          return state;
        },
      },
    );
    const manager = createProcessManager(store, Blind, {
      clock: () => now,
      onCommandRejected: (error) => void rejections.push(`${error.reason}:${error.streamId}`),
    });
    await manager.start();
    await orders.execute('o1', 'create', { total: 1 });
    await manager.waitUntilCaughtUp();
    await orders.execute('o1', 'pay', undefined);
    now = new Date('2030-01-01T12:00:02.000Z');
    expect(await manager.dispatchDue()).toBe(1);
    expect(rejections).toEqual(['NOT_OPEN:Order-o1']);
    expect(await manager.scheduled()).toEqual([]);
    await manager.stop();
  });

  it('stop an event cycle with EventCycleError instead of looping forever', async () => {
    const Ping = defineAggregate('Ping')
      .events({ Pinged: z.object({}) })
      .initialState(() => ({}))
      .evolve({ Pinged: (state) => state })
      .commands({ ping: () => ({ type: 'Pinged', data: {} }) });
    const Echo = defineProcess('echo', { from: [Ping], to: [Ping], initialState: () => ({}) }).on('Pinged', {
      key: (event) => event.streamId,
      handle: (state, _event, context) => {
        context.execute(Ping, 'p', 'ping', undefined);
        return state;
      },
    });
    const store = createEventStore({ storage: createInMemoryStorage(), events: [Ping] });
    const manager = createProcessManager(store, Echo, { maxCausationDepth: 4 });
    await manager.start();
    await createRepository(store, Ping).execute('p', 'ping', undefined);
    // Each wait targets the head of its call, which the loop keeps moving until it is stopped.
    let failure: unknown;
    while (failure === undefined) {
      failure = await manager.waitUntilCaughtUp().then(
        () => undefined,
        (error: unknown) => error,
      );
    }
    expect(isHindsightError(failure, 'EVENT_CYCLE')).toBe(true);
    expect(failure).toMatchObject({ consumer: 'echo', streamId: 'Ping-p', depth: 5, limit: 4 });
    expect(await store.headPosition()).toBe(5);
    const status = await manager.status();
    expect(status.state).toBe('failed');
    expect(status.lastError?.message).toContain('causation depth 5 passes the limit of 4');
    await manager.stop();
  });

  describe('with a rejection step', () => {
    // Pays a linked order when an order is created; if that is refused, cancels the original.
    const rejections: CommandRejection<readonly [typeof Order]>[] = [];
    let failNext = false;
    const Linked = defineProcess('linked', { from: [Order], to: [Order], initialState: () => ({ tries: 0 }) })
      .on('OrderCreated', {
        key: orderId,
        handle: (state, event, context) => {
          if (!orderId(event).endsWith('-linked'))
            context.execute(Order, `${orderId(event)}-linked`, 'pay', undefined);
          return state;
        },
      })
      .onRejected((state, rejection, context) => {
        if (rejection.command === 'cancel') expectTypeOf(rejection.input).toEqualTypeOf<{ reason: string }>();
        if (failNext) {
          failNext = false;
          throw new Error('compensation failed once');
        }
        rejections.push(rejection);
        context.execute(Order, context.key, 'cancel', { reason: `linked: ${rejection.reason}` });
        context.complete();
        return { tries: state.tries + 1 };
      });

    it('hands a refused command back to the process, which compensates once, even after a failed try', async () => {
      rejections.length = 0;
      failNext = true;
      const storage = createInMemoryStorage();
      const store = createEventStore({ storage, events: [Order] });
      const orders = createRepository(store, Order);
      const reported: string[] = [];
      const manager = createProcessManager(store, Linked, {
        retry: { attempts: 3, initialDelayMs: 1 },
        onCommandRejected: (error) => void reported.push(error.reason),
      });
      await manager.start();
      await orders.execute('o1', 'create', { total: 1 });
      await manager.waitUntilCaughtUp();
      await manager.dispatchDue();

      expect(failNext).toBe(false);
      expect(rejections).toEqual([
        {
          aggregate: 'Order',
          id: 'o1-linked',
          streamId: 'Order-o1-linked',
          command: 'pay',
          input: undefined,
          reason: 'NOT_OPEN',
          message: expect.stringContaining('Order.pay rejected on "Order-o1-linked"'),
          deadline: undefined,
          trigger: expect.objectContaining({ type: 'OrderCreated', streamId: 'Order-o1' }),
        },
      ]);
      expect(reported).toEqual(['NOT_OPEN']);
      const history = [];
      for await (const entry of orders.history('o1')) history.push(entry.event);
      expect(history.map((event) => [event.type, event.data])).toEqual([
        ['OrderCreated', { total: 1 }],
        ['OrderCancelled', { reason: 'linked: NOT_OPEN' }],
      ]);
      // The compensation is caused by the event whose step sent the refused command.
      expect(history[1]?.metadata).toMatchObject({
        causationId: history[0]?.eventId,
        correlationId: history[0]?.eventId,
        causationDepth: 2,
      });
      expect(await manager.state('o1')).toBeUndefined();
      expect(await manager.scheduled()).toEqual([]);
      expect((await manager.status()).state).not.toBe('failed');
      await manager.stop();
    });

    it('sends the compensation with the refused command, not at the next poll', async () => {
      rejections.length = 0;
      failNext = false;
      const store = createEventStore({ storage: createInMemoryStorage(), events: [Order] });
      const orders = createRepository(store, Order);
      const manager = createProcessManager(store, Linked, { pollIntervalMs: 60_000 });
      await manager.start();
      await orders.execute('o1', 'create', { total: 1 });
      await manager.waitUntilCaughtUp();
      expect(rejections).toHaveLength(1);
      expect((await orders.load('o1')).version).toBe(2);
      expect(await manager.scheduled()).toEqual([]);
      await manager.stop();
    });

    it('gives a completed instance no rejection step, and reports the refusal only', async () => {
      rejections.length = 0;
      const SendAndForget = defineProcess('forget', { from: [Order], to: [Order], initialState: () => ({}) })
        .on('OrderCreated', {
          key: orderId,
          handle: (state, event, context) => {
            context.execute(Order, `${orderId(event)}-linked`, 'pay', undefined);
            context.complete();
            return state;
          },
        })
        .onRejected((state, rejection) => {
          rejections.push(rejection);
          return state;
        });
      const store = createEventStore({ storage: createInMemoryStorage(), events: [Order] });
      const reported: string[] = [];
      const manager = createProcessManager(store, SendAndForget, {
        onCommandRejected: (error) => void reported.push(error.reason),
      });
      await manager.start();
      await createRepository(store, Order).execute('o2', 'create', { total: 1 });
      await manager.waitUntilCaughtUp();
      await manager.dispatchDue();
      expect(reported).toEqual(['NOT_OPEN']);
      expect(rejections).toEqual([]);
      await manager.stop();
    });

    it('is declared once', () => {
      expect(() => Linked.onRejected((state) => state)).toThrow('is declared twice');
    });
  });
});
