// What `hindsight state` folds this example's streams with (run `npm run build` first):
//   node ../../packages/cli/dist/bin.js state Order <id> --file .hindsight/orders.db --history
import { Customer } from './dist/customer.js';
import { Order } from './dist/order.js';
import { Shipment } from './dist/shipment.js';

export const aggregates = [Order, Customer, Shipment];
