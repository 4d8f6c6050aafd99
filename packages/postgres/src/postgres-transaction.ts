/**
 * Rows and affected row count of {@link PostgresTransaction.query}.
 *
 * @example
 * ```ts
 * const { rows, rowCount } = await tx.query<{ id: string }>('DELETE FROM carts WHERE id = $1 RETURNING id', [id]);
 * ```
 */
export interface PostgresQueryResult<Row> {
  readonly rows: Row[];
  /** Rows returned, inserted, updated or deleted by the statement. */
  readonly rowCount: number;
}

/**
 * The transaction handle inline work receives (an append's transaction hook, `storage.transaction`):
 * whatever it writes commits or rolls back together with the events and checkpoints.
 *
 * `client` is the driver's own handle (a `pg` `PoolClient`, or a PGlite `Transaction`), so query
 * builders work too, e.g. Drizzle: `drizzle(tx.client)`.
 *
 * @example
 * ```ts
 * await store.append('order-1', events, {
 *   streamType: 'Order',
 *   inTransaction: async (tx, stored) => {
 *     await tx.query('INSERT INTO order_totals (id, total) VALUES ($1, $2)', ['order-1', 10]);
 *   },
 * });
 * ```
 */
export interface PostgresTransaction<Client = unknown> {
  readonly client: Client;
  /** Runs one parameterised statement in the transaction, with the driver's usual type parsing. */
  query<Row = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
  ): Promise<PostgresQueryResult<Row>>;
}
