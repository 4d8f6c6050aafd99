import { isHindsightError } from '@hindsight/core';
import type { Client, ClientConfig, CustomTypesConfig, Notification, Pool, PoolClient } from 'pg';
import type { PostgresTransaction } from '../postgres-transaction.js';
import {
  bindTransaction,
  type DedicatedSession,
  type Driver,
  type DriverOptions,
  type Session,
} from './driver.js';
import { quoteIdentifier } from './identifiers.js';
import type { Statement } from './statement.js';
import { storageUnavailable, toStatementError, toStorageError } from './storage-errors.js';

// Per query, not `pg.types.setTypeParser`: the process-wide parsers belong to the application.
const textTypes = { getTypeParser: () => (value: string) => value } as unknown as CustomTypesConfig;

/**
 * `pg`: statements are named (prepared once per pooled connection) unless turned off; listening
 * holds one connection.
 */
export function createPgDriver(pool: Pool, options: DriverOptions): Driver {
  return {
    serialized: false,
    ...clientSession(pool, options),

    async transaction(work) {
      const { client, release } = await checkOut(pool);
      let broken: Error | undefined;
      try {
        const session = clientSession(client, options);
        await session.exec('BEGIN');
        const result = await work(session, bindTransaction(transactionOf(client), session));
        await session.exec('COMMIT');
        return result;
      } catch (error) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        }
        // A connection that cannot even roll back is gone: whatever surfaced that first (a query
        // builder on `tx.client`, say), the transaction failed because the database was lost.
        if (broken !== undefined && !isHindsightError(error)) throw storageUnavailable(error);
        throw error;
      } finally {
        release(broken);
      }
    },

    dedicated: () => openDedicated(pool, options),

    async listen(channel, onNotify, onLost) {
      const { client, release } = await checkOut(pool);
      let over = false;
      // A connection lost before LISTEN answered is reported once, by the rejection, not also as lost.
      let listening = false;
      const onNotification = (message: Notification): void => {
        if (message.channel === channel && message.payload !== undefined) onNotify(message.payload);
      };
      const detach = (): void => {
        client.off('notification', onNotification);
        client.off('error', lose);
        client.off('end', lose);
      };
      function lose(error?: unknown): void {
        if (over) return;
        over = true;
        detach();
        release(true);
        if (listening) onLost(error ?? new Error('the notification connection ended'));
      }
      client.on('notification', onNotification);
      client.on('error', lose);
      client.on('end', lose);
      try {
        await client.query(`LISTEN ${quoteIdentifier(channel)}`);
      } catch (error) {
        if (!over) {
          over = true;
          detach();
          release(true);
        }
        throw toStorageError(error);
      }
      if (over) throw toStorageError(new Error('the notification connection ended'));
      listening = true;
      return async () => {
        if (over) return;
        over = true;
        detach();
        try {
          await client.query(`UNLISTEN ${quoteIdentifier(channel)}`);
          release();
        } catch {
          release(true);
        }
      };
    },
  };
}

// pg-pool keeps the client class it creates connections with and the options it was given.
interface PoolInternals {
  readonly Client: new (config: ClientConfig) => Client;
  readonly options: ClientConfig;
}

/** A connection like the pool's (same class, same settings) that the pool does not manage. */
async function openDedicated(pool: Pool, options: DriverOptions): Promise<DedicatedSession> {
  const internals = pool as unknown as PoolInternals;
  const client = new internals.Client(internals.options);
  let lost = false;
  const lose = (): void => {
    lost = true;
  };
  // Heard here so that a connection the server ends never crashes the process.
  client.on('error', lose);
  client.on('end', lose);
  try {
    await client.connect();
  } catch (error) {
    lost = true;
    throw toStorageError(error);
  }
  return {
    ...clientSession(client, options),
    get lost() {
      return lost;
    },
    async close() {
      lost = true;
      await client.end().catch(() => undefined);
    },
  };
}

interface CheckedOut {
  readonly client: PoolClient;
  /** Gives the connection back; `broken` (an error or `true`) makes the pool discard it. */
  release(broken?: Error | boolean): void;
}

/**
 * Checks a connection out with an 'error' listener already on it, kept until it goes back. The
 * pool drops its own listener before handing the connection over, and a server that terminates a
 * fresh connection sends the error in the same read as the readiness message: pg emits it before
 * an awaiting caller could listen, and an unheard 'error' would crash the process. The query that
 * runs next fails anyway and reports it.
 */
function checkOut(pool: Pool): Promise<CheckedOut> {
  return new Promise((resolve, reject) => {
    pool.connect((error, client) => {
      if (client === undefined) {
        reject(toStorageError(error ?? new Error('the pool handed out no connection')));
        return;
      }
      const ignore = (): void => undefined;
      client.on('error', ignore);
      resolve({
        client,
        release(broken) {
          client.off('error', ignore);
          client.release(broken);
        },
      });
    });
  });
}

function clientSession(queryable: Pool | PoolClient | Client, options: DriverOptions): Session {
  return {
    async run<Row>(statement: Statement, params: readonly unknown[]): Promise<Row[]> {
      try {
        // Two literals, not a spread of an optional name: pg copies the config by its property
        // descriptors, which took twice as long (3.4 µs, not 1.6) on the object a spread builds.
        const result = await queryable.query(
          options.prepareStatements
            ? { name: statement.name, text: statement.text, values: params as unknown[], types: textTypes }
            : { text: statement.text, values: params as unknown[], types: textTypes },
        );
        return result.rows as Row[];
      } catch (error) {
        throw toStatementError(error);
      }
    },
    async exec(text) {
      try {
        await queryable.query(text);
      } catch (error) {
        throw toStorageError(error);
      }
    },
  };
}

function transactionOf(client: PoolClient): PostgresTransaction<PoolClient> {
  return {
    client,
    async query(text, params) {
      try {
        const result = await client.query(text, params as unknown[] | undefined);
        return { rows: result.rows, rowCount: result.rowCount ?? 0 };
      } catch (error) {
        throw toStorageError(error);
      }
    },
  };
}
