import {
  CommandRejectedError,
  createEventStore,
  createInMemoryStorage,
  createRepository,
  EventValidationError,
} from '@hindsight/core';
import { aggregateSpec } from '@hindsight/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { Order } from './order.js';
import { runOrdersStory } from './run-orders.js';

const spec = aggregateSpec(Order);
const items = [{ productId: 'prod-1', quantity: 2 }];
const created = { type: 'OrderCreated', data: { items, total: 99.99 } } as const;
const paid = { type: 'OrderPaid', data: { paymentId: 'pay-1' } } as const;
const shipped = { type: 'OrderShipped', data: { trackingId: 'track-1' } } as const;
const cancelled = { type: 'OrderCancelled', data: { reason: 'changed my mind' } } as const;

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

describe('Order: happy path', () => {
  it('creates a pending order', async () => {
    const state = await spec
      .given([])
      .when('create', { items, total: 99.99 })
      .thenEvents([{ type: 'OrderCreated', data: { items, total: 99.99 } }]);
    expect(state).toMatchObject({ status: 'pending', items, total: 99.99 });
  });

  it('pays a pending order', async () => {
    const state = await spec
      .given([created])
      .when('pay', { paymentId: 'pay-1' })
      .thenEvents([{ type: 'OrderPaid', data: { paymentId: 'pay-1' } }]);
    expect(state).toMatchObject({ status: 'paid', paymentId: 'pay-1' });
  });

  it('ships a paid order', async () => {
    const state = await spec
      .given([created, paid])
      .when('ship', { trackingId: 'track-1' })
      .thenEvents([{ type: 'OrderShipped', data: { trackingId: 'track-1' } }]);
    expect(state).toMatchObject({ status: 'shipped', paymentId: 'pay-1', trackingId: 'track-1' });
  });

  it('adds items to a pending order, keeping the total to the cent', async () => {
    const state = await spec
      .given([created])
      .when('addItem', { item: { productId: 'prod-2', quantity: 1 }, price: 0.02 })
      .thenEvents([
        { type: 'OrderItemAdded', data: { item: { productId: 'prod-2', quantity: 1 }, price: 0.02 } },
      ]);
    expect(state.items).toHaveLength(2);
    expect(state.total).toBe(100.01);
  });
});

describe('Order: business rules', () => {
  it('refuses to create an order twice', async () => {
    await spec.given([created]).when('create', { items, total: 1 }).thenFails({ reason: 'ORDER_EXISTS' });
  });

  it('refuses to pay an order that is already paid (or past pending)', async () => {
    await spec
      .given([created, paid])
      .when('pay', { paymentId: 'pay-2' })
      .thenFails({ reason: 'ORDER_ALREADY_PAID' });
    await spec
      .given([created, paid, shipped])
      .when('pay', { paymentId: 'pay-2' })
      .thenFails({ reason: 'ORDER_ALREADY_PAID' });
  });

  it('refuses to pay a cancelled order, saying so', async () => {
    await spec
      .given([created, cancelled])
      .when('pay', { paymentId: 'pay-2' })
      .thenFails({ reason: 'ORDER_CANCELLED' });
  });

  it('refuses to pay an order that does not exist', async () => {
    await spec.given([]).when('pay', { paymentId: 'pay-1' }).thenFails({ reason: 'ORDER_NOT_FOUND' });
  });

  it('refuses to ship an order unless it is paid', async () => {
    for (const history of [[], [created], [created, cancelled]] as const) {
      await spec
        .given([...history])
        .when('ship', { trackingId: 'track-1' })
        .thenFails({ reason: 'ORDER_NOT_PAID' });
    }
  });

  it('refuses to ship an order twice', async () => {
    await spec
      .given([created, paid, shipped])
      .when('ship', { trackingId: 'track-2' })
      .thenFails({ reason: 'ORDER_ALREADY_SHIPPED' });
  });

  it('cancels a pending or paid order', async () => {
    for (const history of [[created], [created, paid]] as const) {
      const state = await spec
        .given([...history])
        .when('cancel', { reason: 'changed my mind' })
        .thenEvents([cancelled]);
      expect(state.status).toBe('cancelled');
    }
  });

  it('refuses to cancel a shipped or missing order; cancelling twice emits nothing', async () => {
    await spec
      .given([created, paid, shipped])
      .when('cancel', { reason: 'too late' })
      .thenFails({ reason: 'ORDER_ALREADY_SHIPPED' });
    await spec.given([]).when('cancel', { reason: 'nothing' }).thenFails({ reason: 'ORDER_NOT_FOUND' });
    const state = await spec.given([created, cancelled]).when('cancel', { reason: 'again' }).thenEvents([]);
    expect(state.status).toBe('cancelled');
  });

  it('refuses new items unless the order is pending', async () => {
    await spec
      .given([created, paid])
      .when('addItem', { item: { productId: 'prod-2', quantity: 1 }, price: 1 })
      .thenFails({ reason: 'ORDER_NOT_PENDING' });
  });

  it('rejects with a message naming the aggregate, command and stream', async () => {
    await spec.given([created, paid]).when('pay', { paymentId: 'pay-2' }).thenFails(CommandRejectedError);
    const store = createEventStore({ storage: createInMemoryStorage(), events: [Order] });
    closers.push(() => store.close());
    const orders = createRepository(store, Order);
    await orders.execute('o1', (order) => order.create({ items, total: 5 }).pay({ paymentId: 'p1' }));
    const error = await orders.execute('o1', 'pay', { paymentId: 'p2' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CommandRejectedError);
    expect(error).toMatchObject({
      reason: 'ORDER_ALREADY_PAID',
      aggregate: 'Order',
      command: 'pay',
      streamId: 'Order-o1',
    });
    expect((error as Error).message).toBe('Order.pay rejected on "Order-o1": Order already paid');
  });
});

describe('Order: validation', () => {
  it('refuses an order without items', async () => {
    await spec.given([]).when('create', { items: [], total: 0 }).thenFails({ code: 'VALIDATION_FAILED' });
    await spec.given([]).when('create', { items: [], total: 0 }).thenFails(EventValidationError);
  });

  it('names the stream, event type and field of the violation, and writes nothing', async () => {
    const store = createEventStore({ storage: createInMemoryStorage(), events: [Order] });
    closers.push(() => store.close());
    const orders = createRepository(store, Order);
    const empty = await orders
      .execute('o1', 'create', { items: [], total: 0 })
      .catch((caught: unknown) => caught);
    expect(empty).toBeInstanceOf(EventValidationError);
    expect(empty).toMatchObject({
      code: 'VALIDATION_FAILED',
      streamId: 'Order-o1',
      eventType: 'OrderCreated',
      path: 'items',
    });
    expect((empty as Error).message).toMatch(
      /^Invalid OrderCreated event for stream "Order-o1": field "items": /,
    );

    const zero = await orders
      .execute('o1', 'create', { items: [{ productId: 'p', quantity: 0 }], total: 1 })
      .catch((caught: unknown) => caught);
    expect(zero).toMatchObject({ code: 'VALIDATION_FAILED', path: 'items.0.quantity' });
    const negative = await orders
      .execute('o1', 'create', { items, total: -1 })
      .catch((caught: unknown) => caught);
    expect(negative).toMatchObject({ code: 'VALIDATION_FAILED', path: 'total' });
    expect(await store.headPosition()).toBe(0);
  });
});

describe('the orders story', () => {
  it('runs end to end on the in-memory store and prints what happened', async () => {
    const lines: string[] = [];
    const { store, orderIds } = await runOrdersStory(createInMemoryStorage(), (line) => {
      lines.push(line);
    });
    closers.push(() => store.close());
    const [orderId, bulkId, raceId] = orderIds;
    if (orderId === undefined || bulkId === undefined || raceId === undefined)
      throw new Error('three orders');

    expect(lines).toContain(`== Order ${orderId}`);
    expect(lines).toContain('created: pending, 1 item(s), total 99.99');
    expect(lines).toContain('paid:    paid, 1 item(s), total 99.99');
    expect(lines).toContain('shipped: shipped, 1 item(s), total 99.99');
    expect(lines).toContain(
      `refused: paying twice -> ORDER_ALREADY_PAID: Order.pay rejected on "Order-${orderId}": Order already paid`,
    );
    const timeTravel = lines.filter((line) => /^v\d /.test(line));
    expect(timeTravel).toEqual([
      'v1 OrderCreated   -> pending, 1 item(s), total 99.99',
      'v2 OrderPaid      -> paid, 1 item(s), total 99.99',
      'v3 OrderShipped   -> shipped, 1 item(s), total 99.99',
    ]);
    expect(lines).toContain('load(atVersion: 1) -> pending, 1 item(s), total 99.99');
    expect(lines).toContain('snapshot at version 10; load folds it plus 2 event(s)');
    expect(lines).toContain('now: pending, 12 item(s), total 14.25');
    // The race's order is up to the scheduler: both succeed, or the item is refused once the order is paid.
    const raceOk = lines.filter((line) => line.startsWith('ok at v'));
    const raceRefused = lines.filter((line) => line.startsWith('refused: COMMAND_REJECTED: Order.addItem'));
    expect(raceOk.length + raceRefused.length).toBe(2);
    expect(raceOk.length).toBeGreaterThanOrEqual(1);

    const logLines = lines.filter((line) => line.startsWith('#'));
    expect(logLines.filter((line) => line.includes(`Order-${orderId} `))).toEqual([
      expect.stringMatching(/ v1 OrderCreated .*"total":99\.99.* by clerk-ada$/),
      expect.stringMatching(/ v2 OrderPaid \{"paymentId":"pay-456"\} by clerk-ada$/),
      expect.stringMatching(/ v3 OrderShipped \{"trackingId":"track-789"\} by clerk-ada$/),
    ]);
    // The payment deadline also finds the long order unpaid and cancels it, as the 13th event.
    expect(logLines.filter((line) => line.includes(`Order-${bulkId} `))).toHaveLength(13);

    const orders = createRepository(store, Order);
    const first = await orders.load(orderId);
    expect(first).toMatchObject({
      version: 3,
      state: { status: 'shipped', paymentId: 'pay-456', trackingId: 'track-789', total: 99.99 },
    });
    const firstEvents = [];
    for await (const event of store.readStream(Order.streamIdOf(orderId))) firstEvents.push(event);
    expect(firstEvents.map((event) => event.metadata.correlationId)).toEqual(
      Array(3).fill(expect.stringMatching(/^checkout-/)),
    );

    const bulk = await orders.load(bulkId);
    expect(bulk).toMatchObject({ version: 13, state: { status: 'cancelled', total: 14.25 } });
    expect(bulk.state.items).toHaveLength(12);
    expect((await store.storage.loadSnapshot(Order.streamIdOf(bulkId)))?.version).toBe(10);
    const bulkEvents = [];
    for await (const event of store.readStream(Order.streamIdOf(bulkId))) bulkEvents.push(event);
    const [createdEvent, cancelledEvent] = [bulkEvents[0], bulkEvents[12]];
    expect(cancelledEvent).toMatchObject({
      type: 'OrderCancelled',
      data: { reason: 'unpaid after 30 minutes' },
      metadata: { causationId: createdEvent?.eventId },
    });

    const race = await orders.load(raceId);
    expect(lines).toContain(
      `final: ${race.state.status}, ${race.state.items.length} item(s), total ${race.state.total}`,
    );
    expect(race.state.status).toBe('paid');
    expect(race.version).toBe(1 + raceOk.length);
    expect(logLines.filter((line) => line.includes(`Order-${raceId} `))).toHaveLength(race.version);

    const evolutionLines = lines.slice(lines.findIndex((line) => line.startsWith('== Evolving events')));
    expect(evolutionLines.slice(1, 4)).toEqual([
      'stored by release 1: CustomerRegistered {"name":"Ada King Lovelace"} (schema version 1)',
      'read by this release: CustomerRegistered {"firstName":"Ada","lastName":"King Lovelace"} (schema version 2)',
      expect.stringMatching(/^customer cust-v1-\w+: active, name "Ada King Lovelace"$/),
    ]);

    const workflowLines = lines.slice(
      lines.indexOf('== Workflows: process managers, a listener and the orders view'),
    );
    expect(workflowLines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^notification: your order order-a-\w+ is on its way \(tracking track-a\)$/),
        expect.stringMatching(
          /^shipping workflow created shipment Shipment-order-a-\w+ \(tracking track-a\)$/,
        ),
        expect.stringMatching(/^workflow command refused: cancel order-a-\w+ -> ORDER_ALREADY_SHIPPED$/),
        expect.stringMatching(/^customer removed -> order order-b-\w+ is cancelled$/),
        expect.stringMatching(/^31 minutes later -> unpaid order order-c-\w+ is cancelled$/),
        expect.stringMatching(/^orders view v1: order-a-\w+ shipped total 12 paid yes$/),
        expect.stringMatching(/^orders view v1: order-b-\w+ cancelled total 20 paid no$/),
        expect.stringMatching(/^orders view rebuilt beside the live one: v1 -> v2 from \d+ event\(s\)$/),
      ]),
    );

    const forgetLines = lines.slice(
      lines.indexOf('== Forgetting a customer: their key is deleted, the log stays'),
    );
    expect(forgetLines.slice(1, 7)).toEqual([
      'stored: firstName is an encrypted envelope',
      expect.stringMatching(/^before: customer cust-\w+ is named "Grace Hopper"$/),
      expect.stringMatching(/^forget\(cust-\w+\): keys deleted, 1 stream\(s\) hold their events$/),
      expect.stringMatching(/^after: customer cust-\w+ loads at version 2: removed, name "\(forgotten\)"$/),
      'read: CustomerRegistered {"firstName":{"$forgotten":true,"subject":"' +
        forgetLines[2]?.match(/customer (cust-\w+)/)?.[1] +
        '"},"lastName":{"$forgotten":true,"subject":"' +
        forgetLines[2]?.match(/customer (cust-\w+)/)?.[1] +
        '"}}',
      expect.stringMatching(/^their order order-a-\w+ still loads: shipped, 1 item\(s\), total 12$/),
    ]);
    expect(lines.join('\n')).not.toContain('Grace Hopper"}');
  });
});
