import {
  type CommandRejectedError,
  createEventStore,
  createListenerRunner,
  createProcessManager,
  createProjectionRunner,
  createRepository,
  type EventStorage,
  type ScheduledCommand,
} from '@hindsight/core';
import { Customer } from './customer.js';
import { Order } from './order.js';
import { defineOrdersView } from './orders-view.js';
import { Shipment } from './shipment.js';
import { CustomerOrders, defineShippingNotifications, PaymentDeadline, Shipping } from './workflows.js';

/** What the app needs from its surroundings. */
export interface OrdersAppOptions {
  /** The clock of the process managers (deadlines); inject one to move time in the story. */
  readonly clock?: () => Date;
  /** Where shipping notifications go. */
  readonly send?: (message: string) => void | Promise<void>;
  /** Hears about commands a workflow sent that a business rule refused. */
  readonly onCommandRejected?: (error: CommandRejectedError, command: ScheduledCommand) => void;
}

/**
 * The whole orders application on one storage: the store with the orders view updated inline,
 * repositories for the three aggregates, and the consumers (workflows and notifications).
 */
export function createOrdersApp(storage: EventStorage, options: OrdersAppOptions = {}) {
  // #region wiring
  const ordersView = defineOrdersView(storage);
  const store = createEventStore({ storage, events: [Order, Customer, Shipment], inline: [ordersView] });
  const clock = options.clock ?? (() => new Date());
  const processOptions = {
    clock,
    pollIntervalMs: 200,
    ...(options.onCommandRejected === undefined ? {} : { onCommandRejected: options.onCommandRejected }),
  };
  const workflows = {
    shipping: createProcessManager(store, Shipping, processOptions),
    paymentDeadline: createProcessManager(store, PaymentDeadline, processOptions),
    customerOrders: createProcessManager(store, CustomerOrders, processOptions),
  };
  const notifications = createListenerRunner(store, defineShippingNotifications(options.send ?? (() => {})), {
    pollIntervalMs: 200,
    retry: { attempts: 3, initialDelayMs: 10 },
  });
  // #endregion wiring
  const consumers = [...Object.values(workflows), notifications];
  return {
    store,
    ordersView,
    orders: createRepository(store, Order),
    customers: createRepository(store, Customer),
    shipments: createRepository(store, Shipment),
    workflows,
    notifications,
    /** A runner that rebuilds the orders view beside the live one (it is kept up to date inline). */
    ordersViewRebuilder: () => createProjectionRunner(store, ordersView),
    async start(): Promise<void> {
      await Promise.all(consumers.map((consumer) => consumer.start()));
    },
    /** Waits until every consumer has handled everything appended so far (and what that caused). */
    async settle(): Promise<void> {
      // Consumers append too (workflow commands): settled once a full pass leaves the head where it was.
      for (;;) {
        const head = await store.headPosition();
        for (const consumer of consumers) await consumer.waitUntilCaughtUp();
        if ((await store.headPosition()) === head) return;
      }
    },
    async stop(): Promise<void> {
      await Promise.all(consumers.map((consumer) => consumer.stop()));
    },
  };
}

/** The app `createOrdersApp` returns. */
export type OrdersApp = ReturnType<typeof createOrdersApp>;
