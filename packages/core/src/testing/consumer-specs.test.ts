import { AssertionError } from 'node:assert';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { defineAggregate } from '../aggregates/define-aggregate.js';
import { defineListener } from '../listeners/define-listener.js';
import { defineProcess } from '../processes/define-process.js';
import { defineProjection } from '../projections/define-projection.js';
import type { EventStorage } from '../streams/event-storage.js';
import { listenerSpec } from './listener-spec.js';
import { processSpec } from './process-spec.js';
import { projectionSpec } from './projection-spec.js';

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
    pay: (_state, _input: undefined) => ({ type: 'OrderPaid', data: {} }),
    cancel: (_state, input: { reason: string }) => ({ type: 'OrderCancelled', data: input }),
  });

const Stock = defineAggregate('Stock')
  .events({ Reserved: z.object({ orderId: z.string() }) })
  .initialState(() => ({}))
  .evolve({ Reserved: (state) => state })
  .commands({ reserve: (_state, input: { orderId: string }) => ({ type: 'Reserved', data: input }) });

const orderId = (streamId: string) => streamId.slice('Order-'.length);

function defineTotals(storage: EventStorage) {
  return defineProjection('totals', { from: [Order] })
    .on('OrderCreated', (event, { transaction, version }) =>
      storage.documents?.put(
        `totals@${version}`,
        event.streamId,
        { total: event.data.total, paid: false },
        transaction,
      ),
    )
    .onBatch(['OrderPaid'], async (events, { transaction, version }) => {
      for (const event of events) {
        const row = await storage.documents?.get(`totals@${version}`, event.streamId, transaction);
        await storage.documents?.put(
          `totals@${version}`,
          event.streamId,
          { ...(row?.value as object), paid: true },
          transaction,
        );
      }
    });
}

describe('projectionSpec', () => {
  it('applies the given events and compares documents or a query', async () => {
    const spec = projectionSpec(defineTotals);
    const events = [
      { streamId: 'Order-o1', type: 'OrderCreated', data: { total: 10 } },
      { streamId: 'Order-o2', type: 'OrderCreated', data: { total: 5 } },
      { streamId: 'Order-o1', type: 'OrderPaid', data: {} },
    ] as const;
    await spec.given(events).thenDocuments('totals@1', {
      'Order-o1': { total: 10, paid: true },
      'Order-o2': { total: 5, paid: false },
    });
    await spec
      .given(events)
      .thenQuery(
        async ({ storage, version }) =>
          (await storage.documents?.get(`totals@${version}`, 'Order-o2'))?.value,
        {
          total: 5,
          paid: false,
        },
      );
  });

  it('fails with a diff naming the collection', async () => {
    const failure = await projectionSpec(defineTotals)
      .given([{ type: 'OrderCreated', data: { total: 10 } }])
      .thenDocuments('totals@1', { 'Order-spec': { total: 11, paid: false } })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AssertionError);
    expect((failure as AssertionError).message).toContain('documents of "totals@1" differ');
    expect((failure as AssertionError).message).toMatch(/-\s+total: 11/);
  });

  it('asserts a failing handler, and types the given events from the catalogs', async () => {
    const Failing = defineProjection('failing', { from: [Order] }).on('OrderPaid', () => {
      throw new RangeError('no row');
    });
    await projectionSpec(Failing)
      .given([{ type: 'OrderPaid', data: {} }])
      .thenFails(RangeError);
    await projectionSpec(Failing)
      .given([{ type: 'OrderPaid', data: {} }])
      .thenFails(/no row/);
    // @ts-expect-error: not an event of the projection's catalogs
    projectionSpec(Failing).given([{ type: 'Reserved', data: { orderId: 'o1' } }]);
    // @ts-expect-error: a payload of the wrong shape
    projectionSpec(Failing).given([{ type: 'OrderCreated', data: { total: '10' } }]);
  });
});

const Checkout = defineProcess('checkout', {
  from: [Order],
  to: [Order, Stock],
  initialState: () => ({ step: 'new' }),
})
  .on('OrderCreated', {
    key: (event) => event.streamId,
    handle: (_state, event, context) => {
      context.execute(Stock, orderId(event.streamId), 'reserve', { orderId: orderId(event.streamId) });
      context.execute(
        Order,
        orderId(event.streamId),
        'cancel',
        { reason: 'unpaid' },
        { deadline: 'payment', afterMs: 60_000 },
      );
      return { step: 'reserving' };
    },
  })
  .on('OrderPaid', {
    key: (event) => event.streamId,
    handle: (_state, _event, context) => {
      context.cancelDeadline('payment');
      return { step: 'paid' };
    },
  })
  .onRejected((state, rejection, context) => {
    if (rejection.aggregate === 'Stock') {
      expectTypeOf(rejection.input).toEqualTypeOf<{ orderId: string }>();
      context.execute(Order, rejection.input.orderId, 'cancel', { reason: rejection.reason });
      context.complete();
    }
    return state;
  });

describe('processSpec', () => {
  const now = new Date('2030-01-01T00:00:00.000Z');
  const created = { streamId: 'Order-o1', type: 'OrderCreated', data: { total: 3 } } as const;

  it('records the commands sent, the pending deadlines and the state per instance', async () => {
    const spec = processSpec(Checkout);
    await spec
      .given([created])
      .thenCommands([{ aggregate: 'Stock', id: 'o1', command: 'reserve', input: { orderId: 'o1' } }]);
    await spec.given([created], { now }).thenScheduled([
      {
        aggregate: 'Order',
        id: 'o1',
        command: 'cancel',
        input: { reason: 'unpaid' },
        deadline: 'payment',
        dueAt: new Date('2030-01-01T00:01:00.000Z'),
      },
    ]);
    const outcome = await spec
      .given([created, { streamId: 'Order-o1', type: 'OrderPaid', data: {} }])
      .thenState('Order-o1', { step: 'paid' });
    expect(outcome.scheduled).toEqual([]);
    expect(outcome.completed).toEqual([]);
  });

  it('runs the rejection step for refused commands, to test compensations', async () => {
    const outcome = await processSpec(Checkout)
      .given([created], { refuse: (command) => (command.command === 'reserve' ? 'OUT_OF_STOCK' : undefined) })
      .thenCompleted('Order-o1');
    expect(outcome.sent).toEqual([
      { aggregate: 'Stock', id: 'o1', command: 'reserve', input: { orderId: 'o1' } },
      { aggregate: 'Order', id: 'o1', command: 'cancel', input: { reason: 'OUT_OF_STOCK' } },
    ]);
    // Completing cancelled the payment deadline.
    expect(outcome.scheduled).toEqual([]);
    expect(outcome.states).toEqual({});
  });

  it('fails with a diff, and types expected commands from the targets', async () => {
    const failure = await processSpec(Checkout)
      .given([created])
      .thenCommands([{ aggregate: 'Stock', id: 'o2', command: 'reserve', input: { orderId: 'o1' } }])
      .catch((error: unknown) => error);
    expect((failure as AssertionError).message).toContain('the commands sent differ');
    expect((failure as AssertionError).message).toMatch(/-\s+id: 'o2'/);
    const unknownCommand = [
      { aggregate: 'Stock', id: 'o1', command: 'cancel', input: { reason: 'x' } },
    ] as const;
    // @ts-expect-error: Stock has no command `cancel`
    await expect(processSpec(Checkout).given([created]).thenCommands(unknownCommand)).rejects.toThrow(
      AssertionError,
    );
  });

  it('asserts a failing step', async () => {
    const Broken = defineProcess('broken', { from: [Order], to: [Order], initialState: () => ({}) }).on(
      'OrderPaid',
      {
        key: (event) => event.streamId,
        handle: (state, _event, context) => {
          context.execute(Order, 'o1', 'pay', undefined, { deadline: 'x', at: new Date(Number.NaN) });
          return state;
        },
      },
    );
    await processSpec(Broken)
      .given([{ streamId: 'Order-o1', type: 'OrderPaid', data: {} }])
      .thenFails({ code: 'INVALID_ARGUMENT' });
  });
});

describe('listenerSpec', () => {
  const paid = { streamId: 'Order-o1', type: 'OrderPaid', data: {} } as const;

  it('runs the handler once per event when it succeeds', async () => {
    const receipts: string[] = [];
    const Receipts = defineListener('receipts', { from: [Order] }).on('OrderPaid', (event) => {
      receipts.push(event.streamId);
    });
    const outcome = await listenerSpec(Receipts)
      .given([{ streamId: 'Order-o0', type: 'OrderCreated', data: { total: 1 } }, paid])
      .thenSucceeds();
    expect(receipts).toEqual(['Order-o1']);
    expect(outcome.calls).toEqual([
      { type: 'OrderPaid', streamId: 'Order-o1', attempt: 1, error: undefined },
    ]);
  });

  it('retries a failing handler, then parks the event as a dead letter and goes on', async () => {
    const receipts: string[] = [];
    let failures = 0;
    const Flaky = defineListener('flaky', { from: [Order] }).on('OrderPaid', (event) => {
      if (event.streamId === 'Order-o1' || failures++ < 1)
        throw new Error(`mailer down for ${event.streamId}`);
      receipts.push(event.streamId);
    });
    const outcome = await listenerSpec(Flaky, { attempts: 2 })
      .given([paid, { streamId: 'Order-o2', type: 'OrderPaid', data: {} }])
      .thenDeadLetters([
        { type: 'OrderPaid', streamId: 'Order-o1', attempts: 2, error: /mailer down for Order-o1/ },
      ]);
    expect(receipts).toEqual(['Order-o2']);
    expect(outcome.calls.map((call) => [call.streamId, call.attempt, call.error !== undefined])).toEqual([
      ['Order-o1', 1, true],
      ['Order-o1', 2, true],
      ['Order-o2', 1, true],
      ['Order-o2', 2, false],
    ]);
    const failure = await listenerSpec(Flaky, { attempts: 1 })
      .given([paid])
      .thenSucceeds()
      .catch((error: unknown) => error);
    expect((failure as AssertionError).message).toContain('the listener gave up on some events');
  });
});
