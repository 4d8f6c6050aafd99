// What `hindsight state` folds this example's streams with, and what `hindsight rebuild` rebuilds
// (run `npm run build` first):
//   node ../../packages/cli/dist/bin.js state Order <id> --file .hindsight/orders.db --history
//   node ../../packages/cli/dist/bin.js rebuild ordersView --file .hindsight/orders.db
//   node ../../packages/cli/dist/bin.js projections --file .hindsight/orders.db
//   node ../../packages/cli/dist/bin.js prune ordersView --version 1 --file .hindsight/orders.db
import { Customer } from './dist/customer.js';
import { Order } from './dist/order.js';
import { defineOrdersView } from './dist/orders-view.js';
import { Shipment } from './dist/shipment.js';

export const aggregates = [Order, Customer, Shipment];

// The orders view keeps its rows in the storage's keyed documents, so it is made for a storage.
export const projections = (storage) => [defineOrdersView(storage)];
