import { isHindsightError } from '@hindsight/core';
import type { CustomTypesConfig, Notification, Pool, PoolClient } from 'pg';
import type { PostgresTransaction } from '../postgres-transaction.js';
import { bindTransaction, type Driver, type DriverOptions, type Session } from './driver.js';
import { quoteIdentifier } from './identifiers.js';
import type { Statement } from './statement.js';
import { storageUnavailable, toStorageError } from './storage-errors.js';

// Per query, not `pg.types.setTypeParser`: the process-wide parsers belong to the application.
const textTypes = { getTypeParser: () => (value: string) => value } as unknown as CustomTypesConfig;

/**
 * `pg`: statements are named (prepared once per pooled connection) unless turned off; listening
 * holds one connection.
 */
export function createPgDriver(pool: Pool, options: DriverOptions): Driver {
  const connect = async (): Promise<PoolClient> => {
    try {
      return await pool.connect();
    } catch (error) {
      throw toStorageError(error);
    }
  };

  return {
    serialized: false,
    ...clientSession(pool, options),

    async transaction(work) {
      const client = await connect();
      // A connection that drops while idle in our hands emits 'error'; unhandled, that would crash
      // the process. The next query fails anyway and reports it.
      const ignore = (): void => undefined;
      client.on('error', ignore);
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
        client.off('error', ignore);
        client.release(broken);
      }
    },

    async listen(channel, onNotify, onLost) {
      const client = await connect();
      let over = false;
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
        client.release(true);
        onLost(error ?? new Error('the notification connection ended'));
      }
      client.on('notification', onNotification);
      client.on('error', lose);
      client.on('end', lose);
      try {
        await client.query(`LISTEN ${quoteIdentifier(channel)}`);
      } catch (error) {
        over = true;
        detach();
        client.release(true);
        throw toStorageError(error);
      }
      return async () => {
        if (over) return;
        over = true;
        detach();
        try {
          await client.query(`UNLISTEN ${quoteIdentifier(channel)}`);
          client.release();
        } catch {
          client.release(true);
        }
      };
    },
  };
}

function clientSession(queryable: Pool | PoolClient, options: DriverOptions): Session {
  return {
    async run<Row>(statement: Statement, params: readonly unknown[]): Promise<Row[]> {
      try {
        const result = await queryable.query({
          ...(options.prepareStatements ? { name: statement.name } : {}),
          text: statement.text,
          values: params as unknown[],
          types: textTypes,
        });
        return result.rows as Row[];
      } catch (error) {
        throw toStorageError(error);
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
