import {
  activeProjectionVersion,
  createEventStore,
  createRepository,
  type EventStorage,
  forgottenSubjectOf,
  isHindsightError,
  type StoredEvent,
  schemaVersionField,
} from '@hindsight/core';
import { Customer, CustomerRelease1 } from './customer.js';
import { Order } from './order.js';
import { createOrdersApp, type OrdersApp } from './orders-app.js';
import { readOrderRow } from './orders-view.js';
import { paymentWindowMs } from './workflows.js';

/** Where the story's lines go (the console in `main`, an array in tests). */
export type Print = (line: string) => void;

/** What the story leaves behind, for tests to check. */
export interface OrdersStory {
  readonly store: OrdersApp['store'];
  readonly orderIds: readonly string[];
}

/**
 * The tutorial end to end: create, pay, ship, a refused command, time travel to each version,
 * a long order that gets snapshotted, two clerks racing on one order, the workflows, the read
 * model and the global log.
 */
export async function runOrdersStory(
  storage: EventStorage,
  print: Print,
  options: {
    /** Called once the workflows run: `main` wires Ctrl-C to stopping them there. */
    readonly onStart?: (app: OrdersApp) => void;
  } = {},
): Promise<OrdersStory> {
  let now = Date.now();
  const app = createOrdersApp(storage, {
    clock: () => new Date(now),
    send: (message) => print(`notification: ${message}`),
    onCommandRejected: (error, command) =>
      print(`workflow command refused: ${command.command} ${command.id} -> ${error.reason}`),
  });
  const { store, orders } = app;
  const runId = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const orderId = `order-${runId}`;
  const metadata = { actorId: 'clerk-ada', correlationId: `checkout-${runId}` };

  print(`== Order ${orderId}`);
  const created = await orders.execute(
    orderId,
    'create',
    { items: [{ productId: 'prod-1', quantity: 2 }], total: 99.99 },
    { metadata },
  );
  print(`created: ${describeState(created.state)}`);
  const paid = await orders.execute(orderId, 'pay', { paymentId: 'pay-456' }, { metadata });
  print(`paid:    ${describeState(paid.state)}`);
  const shipped = await orders.execute(orderId, 'ship', { trackingId: 'track-789' }, { metadata });
  print(`shipped: ${describeState(shipped.state)}`);

  try {
    await orders.execute(orderId, 'pay', { paymentId: 'pay-again' });
  } catch (error) {
    if (!isHindsightError(error, 'COMMAND_REJECTED')) throw error;
    print(`refused: paying twice -> ${error.reason}: ${error.message}`);
  }

  print('');
  print('== Time travel: the order at each version');
  for await (const { event, state } of orders.history(orderId)) {
    print(`v${event.version} ${event.type.padEnd(14)} -> ${describeState(state)}`);
  }
  const atVersion1 = await orders.load(orderId, { atVersion: 1 });
  print(`load(atVersion: 1) -> ${describeState(atVersion1.state)}`);

  print('');
  const bulkId = `bulk-${runId}`;
  print(`== Order ${bulkId}: 12 events, snapshot every 10`);
  await orders.execute(bulkId, 'create', { items: [{ productId: 'bolt', quantity: 1 }], total: 0.5 });
  for (let index = 0; index < 11; index += 1) {
    await orders.execute(bulkId, 'addItem', {
      item: { productId: `part-${index}`, quantity: 1 },
      price: 1.25,
    });
  }
  const snapshot = await storage.loadSnapshot(Order.streamIdOf(bulkId));
  const bulk = await orders.load(bulkId);
  print(
    `snapshot at version ${snapshot?.version ?? 'none'}; load folds it plus ${bulk.version - (snapshot?.version ?? 0)} event(s)`,
  );
  print(`now: ${describeState(bulk.state)}`);

  print('');
  print('== Two clerks pay and add an item at once: one conflicts, reloads and retries');
  const raceId = `race-${runId}`;
  await orders.execute(raceId, 'create', { items: [{ productId: 'lamp', quantity: 1 }], total: 30 });
  const outcomes = await Promise.allSettled([
    orders.execute(raceId, 'addItem', { item: { productId: 'bulb', quantity: 2 }, price: 4 }),
    orders.execute(raceId, 'pay', { paymentId: 'pay-race' }),
  ]);
  for (const outcome of outcomes) {
    print(
      outcome.status === 'fulfilled'
        ? `ok at v${outcome.value.version}`
        : `refused: ${describeError(outcome.reason)}`,
    );
  }
  print(`final: ${describeState((await orders.load(raceId)).state)}`);

  print('');
  await tellEvolution(app, runId, print);

  print('');
  await tellWorkflows(app, runId, print, options.onStart, (ms) => {
    now += ms;
  });

  print('');
  await tellForgetting(app, runId, print);

  print('');
  print('== The global log');
  for await (const event of store.readAll({ after: 0 })) {
    // The forget of this run's customer is in the log too, in the `$personal-data` stream.
    const forgotten = forgottenSubjectOf(event);
    if (event.streamId.endsWith(runId) || forgotten?.subjectId.endsWith(runId)) print(describeEvent(event));
  }
  return { store, orderIds: [orderId, bulkId, raceId] };
}

/** A customer registered by release 1 (`{ name }`), loaded by this release (`{ firstName, lastName }`). */
async function tellEvolution(app: OrdersApp, runId: string, print: Print) {
  print(
    '== Evolving events: release 1 stored CustomerRegistered as { name }; this release reads { firstName, lastName }',
  );
  const customerId = `cust-v1-${runId}`;
  const release1 = createRepository(
    createEventStore({ storage: app.store.storage, events: [CustomerRelease1] }),
    CustomerRelease1,
  );
  await release1.execute(customerId, 'register', { name: 'Ada King Lovelace' });
  const streamId = Customer.streamIdOf(customerId);
  const [stored] = await app.store.storage.readStream(streamId, { direction: 'forward', limit: 1 });
  print(
    `stored by release 1: ${stored?.type} ${JSON.stringify(stored?.data)} (schema version ${stored?.metadata[schemaVersionField] ?? 1})`,
  );
  for await (const event of app.store.readStream(streamId)) {
    print(
      `read by this release: ${event.type} ${JSON.stringify(event.data)} (schema version ${event.metadata[schemaVersionField]})`,
    );
  }
  const customer = await app.customers.load(customerId);
  print(`customer ${customerId}: ${customer.state.status}, name "${customer.state.name}"`);
}

/** The customer of the workflows asks to be forgotten (GDPR erasure): crypto-shredding. */
async function tellForgetting(app: OrdersApp, runId: string, print: Print) {
  print('== Forgetting a customer: their key is deleted, the log stays');
  const customerId = `cust-${runId}`;
  const streamId = Customer.streamIdOf(customerId);
  const [stored] = await app.store.storage.readStream(streamId, { direction: 'forward', limit: 1 });
  const firstName = (stored?.data as { firstName?: { $enc?: string } } | undefined)?.firstName;
  print(
    `stored: firstName is ${firstName?.$enc === 'v1' ? 'an encrypted envelope' : JSON.stringify(firstName)}`,
  );
  print(`before: customer ${customerId} is named "${(await app.customers.load(customerId)).state.name}"`);
  const forgotten = await app.store.forget(customerId);
  print(`forget(${customerId}): keys deleted, ${forgotten.streamIds.length} stream(s) hold their events`);
  const customer = await app.customers.load(customerId);
  print(
    `after: customer ${customerId} loads at version ${customer.version}: ${customer.state.status}, name "${customer.state.name}"`,
  );
  for await (const event of app.store.readStream(streamId, { toVersion: 1 })) {
    print(`read: ${event.type} ${JSON.stringify(event.data)}`);
  }
  const order = await app.orders.load(`order-a-${runId}`);
  print(`their order order-a-${runId} still loads: ${describeState(order.state)}`);
}

async function tellWorkflows(
  app: OrdersApp,
  runId: string,
  print: Print,
  onStart: ((app: OrdersApp) => void) | undefined,
  advanceClock: (ms: number) => void,
) {
  print('== Workflows: process managers, a listener and the orders view');
  const { customers, orders, shipments } = app;
  const customerId = `cust-${runId}`;
  const [shippedId, openId, unpaidId] = ['a', 'b', 'c'].map((suffix) => `order-${suffix}-${runId}`) as [
    string,
    string,
    string,
  ];
  await app.start();
  onStart?.(app);
  await customers.execute(customerId, 'register', { firstName: 'Grace', lastName: 'Hopper' });
  const items = [{ productId: 'book', quantity: 1 }];
  await orders.execute(shippedId, (order) =>
    order
      .create({ items, total: 12, customerId })
      .pay({ paymentId: 'pay-a' })
      .ship({ trackingId: 'track-a' }),
  );
  await orders.execute(openId, 'create', { items, total: 20, customerId });
  await orders.execute(unpaidId, 'create', { items, total: 7 });
  await app.settle();
  const shipment = await shipments.load(shippedId);
  print(`shipping workflow created shipment ${shipment.streamId} (tracking ${shipment.state.trackingId})`);

  await customers.execute(customerId, 'remove', { reason: 'closed account' });
  await app.settle();
  print(`customer removed -> order ${openId} is ${(await orders.load(openId)).state.status}`);

  advanceClock(paymentWindowMs + 60_000);
  await app.workflows.paymentDeadline.dispatchDue();
  await app.settle();
  print(`31 minutes later -> unpaid order ${unpaidId} is ${(await orders.load(unpaidId)).state.status}`);
  await app.stop();

  const version = await activeProjectionVersion(app.store, app.ordersView);
  for (const id of [shippedId, openId, unpaidId]) {
    const row = await readOrderRow(app.store.storage, version, Order.streamIdOf(id));
    print(
      `orders view v${version}: ${id} ${row?.status} total ${row?.total} paid ${row?.paidAt === null ? 'no' : 'yes'}`,
    );
  }
  let reported = 0;
  const rebuilt = await app.ordersViewRebuilder().rebuild({
    onProgress: ({ events, position, head }) => {
      if (events === reported || (events - reported < 10 && position < head)) return;
      reported = events;
      print(`rebuilding orders view: ${events} event(s), at position ${position} of ${head}`);
    },
  });
  print(
    `orders view rebuilt beside the live one: v${rebuilt.previousVersion} -> v${rebuilt.version} from ${rebuilt.events} event(s)`,
  );
}

function describeState(state: { status: string; items: readonly unknown[]; total: number }): string {
  return `${state.status}, ${state.items.length} item(s), total ${state.total}`;
}

function describeEvent(event: StoredEvent): string {
  const actor = typeof event.metadata.actorId === 'string' ? ` by ${event.metadata.actorId}` : '';
  return `#${String(event.position).padEnd(4)} ${event.streamId} v${event.version} ${event.type} ${JSON.stringify(event.data)}${actor}`;
}

function describeError(error: unknown): string {
  return isHindsightError(error) ? `${error.code}: ${error.message}` : String(error);
}
