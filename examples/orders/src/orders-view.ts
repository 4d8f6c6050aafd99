import { defineProjection, type EventStorage, NotSupportedError } from '@hindsight/core';
import { Order } from './order.js';

/** The tutorial's order read model: one row per order. Instants are ISO strings. */
export interface OrderRow {
  readonly streamId: string;
  readonly status: 'pending' | 'paid' | 'shipped' | 'cancelled';
  readonly total: number;
  readonly customerId: string | null;
  readonly createdAt: string;
  readonly paidAt: string | null;
  readonly shippedAt: string | null;
}

/**
 * The read model lives in the storage's keyed documents, so the same code runs on memory, SQLite
 * and PostgreSQL, inside the transaction it is given. One collection per projection version lets a
 * rebuild fill the next version beside the live one.
 */
function collection(version: number): string {
  return `orders-view-v${version}`;
}

function documentsOf(storage: EventStorage) {
  if (storage.documents === undefined) {
    throw new NotSupportedError({ feature: 'the orders view', storage: storage.kind, missing: 'documents' });
  }
  return storage.documents;
}

/**
 * The orders view as a projection over `storage`: run it inline (`createEventStore({ inline })`)
 * to update it in the append's transaction, or with `createProjectionRunner`.
 */
export function defineOrdersView(storage: EventStorage) {
  const documents = documentsOf(storage);
  const update = async (
    transaction: unknown,
    version: number,
    streamId: string,
    change: (row: OrderRow) => OrderRow,
  ): Promise<void> => {
    const existing = await documents.get(collection(version), streamId, transaction);
    if (existing === undefined) return;
    await documents.put(collection(version), streamId, change(existing.value as OrderRow), transaction);
  };

  const clear = async (transaction: unknown, version: number): Promise<void> => {
    for (;;) {
      const page = await documents.list(collection(version), { limit: 500 }, transaction);
      if (page.length === 0) return;
      for (const row of page) await documents.delete(collection(version), row.key, transaction);
    }
  };

  // #region projection
  return (
    defineProjection('ordersView', { from: [Order] })
      .on('OrderCreated', async (event, { transaction, version }) => {
        const row: OrderRow = {
          streamId: event.streamId,
          status: 'pending',
          total: event.data.total,
          customerId: event.data.customerId ?? null,
          createdAt: event.timestamp.toISOString(),
          paidAt: null,
          shippedAt: null,
        };
        await documents.put(collection(version), event.streamId, row, transaction);
      })
      .on('OrderItemAdded', (event, { transaction, version }) =>
        update(transaction, version, event.streamId, (row) => ({
          ...row,
          total: Math.round((row.total + event.data.price) * 100) / 100,
        })),
      )
      .on('OrderPaid', (event, { transaction, version }) =>
        update(transaction, version, event.streamId, (row) => ({
          ...row,
          status: 'paid',
          paidAt: event.timestamp.toISOString(),
        })),
      )
      // #endregion projection
      .on('OrderShipped', (event, { transaction, version }) =>
        update(transaction, version, event.streamId, (row) => ({
          ...row,
          status: 'shipped',
          shippedAt: event.timestamp.toISOString(),
        })),
      )
      .on('OrderCancelled', (event, { transaction, version }) =>
        update(transaction, version, event.streamId, (row) => ({ ...row, status: 'cancelled' })),
      )
      .onReset(async ({ transaction, version, streamId }) => {
        if (streamId === undefined) await clear(transaction, version);
        else await documents.delete(collection(version), streamId, transaction);
      })
      // `hindsight prune ordersView --version n` deletes a retired version's rows through this.
      .onPrune(({ transaction, version }) => clear(transaction, version))
  );
}

/** Reads one order's row from a version of the view. */
export async function readOrderRow(storage: EventStorage, version: number, streamId: string) {
  const row = await documentsOf(storage).get(collection(version), streamId);
  return row?.value as OrderRow | undefined;
}

/** Reads every row of a version of the view, page by page. */
export async function* readOrderRows(storage: EventStorage, version: number): AsyncGenerator<OrderRow> {
  const documents = documentsOf(storage);
  let after: string | undefined;
  for (;;) {
    const page = await documents.list(collection(version), {
      limit: 500,
      ...(after === undefined ? {} : { after }),
    });
    for (const row of page) yield row.value as OrderRow;
    const last = page.at(-1);
    if (last === undefined) return;
    after = last.key;
  }
}
