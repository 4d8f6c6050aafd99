// The clients are described by shape, never by importing `pg` or PGlite types: the declarations a
// user compiles then need only the driver they installed (with `skipLibCheck: false` too).

/**
 * What the storage needs to recognise a `pg` `Pool` (a real `pg.Pool` has all of it).
 *
 * @example
 * ```ts
 * const client: PgPoolLike = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * ```
 */
export interface PgPoolLike {
  connect(): Promise<unknown>;
  readonly totalCount: number;
  readonly idleCount: number;
}

/**
 * What the storage needs to recognise a PGlite instance (a real `PGlite` has all of it).
 *
 * @example
 * ```ts
 * const client: PgliteLike = new PGlite();
 * ```
 */
export interface PgliteLike {
  exec(query: string): Promise<unknown>;
  transaction<T>(callback: (tx: unknown) => Promise<T>): Promise<T>;
  listen(channel: string, callback: (payload: string) => void): Promise<unknown>;
}

/**
 * A `pg` `Pool`, or a PGlite instance (same SQL, same migrations; for tests and local use).
 *
 * @example
 * ```ts
 * const client: PostgresClient = process.env.DATABASE_URL
 *   ? new pg.Pool({ connectionString: process.env.DATABASE_URL })
 *   : new PGlite();
 * ```
 */
export type PostgresClient = PgPoolLike | PgliteLike;

/**
 * The driver handle a transaction of a storage over `Client` exposes: the `PoolClient` a `pg` pool
 * hands out, or the `Transaction` of PGlite, read off the client's own type.
 *
 * @example
 * ```ts
 * type Handle = TransactionClientOf<pg.Pool>; // pg.PoolClient
 * ```
 */
export type TransactionClientOf<Client extends PostgresClient> = Client extends {
  transaction(callback: (tx: infer Tx) => Promise<never>): Promise<unknown>;
}
  ? Tx
  : // `pg` overloads connect() (promise, then callback): matching both reaches the promise's client.
    Client extends { connect: { (): Promise<infer PoolClient>; (callback: never): void } }
    ? PoolClient
    : unknown;
