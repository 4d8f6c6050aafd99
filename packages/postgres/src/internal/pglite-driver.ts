import type { PGliteInterface, Transaction } from '@electric-sql/pglite';
import type { PostgresTransaction } from '../postgres-transaction.js';
import { bindTransaction, type Driver, type Session } from './driver.js';
import { quoteIdentifier } from './identifiers.js';
import type { Statement } from './statement.js';
import { toStatementError } from './storage-errors.js';

// PGlite parses by type OID; these are the non-text types the storage selects. Kept as text so
// rows look exactly like they do from `pg`.
const text = (value: string): string => value;
const textParsers = Object.fromEntries(
  [16, 20, 21, 23, 114, 700, 701, 1082, 1114, 1184, 1700, 2950, 3802].map((oid) => [oid, text]),
);

/** PGlite: one in-process connection; the same SQL as `pg`, without named statements. */
export function createPgliteDriver(db: PGliteInterface): Driver {
  return {
    serialized: true,
    ...clientSession(db),

    transaction(work) {
      return db.transaction((tx) => {
        const session = clientSession(tx);
        return work(session, bindTransaction(transactionOf(tx), session));
      });
    },

    async listen(channel, onNotify) {
      // PGlite interpolates the channel into LISTEN as is, and keeps a quoted name's case.
      const unlisten = await db.listen(quoteIdentifier(channel), onNotify);
      return async () => {
        // A closed database listens to nothing any more: there is nothing left to stop.
        if (!db.closed) await unlisten();
      };
    },
  };
}

function clientSession(queryable: PGliteInterface | Transaction): Session {
  return {
    async run<Row>(statement: Statement, params: readonly unknown[]): Promise<Row[]> {
      try {
        const result = await queryable.query<Row>(statement.text, params as unknown[], {
          parsers: textParsers,
        });
        return result.rows;
      } catch (error) {
        throw toStatementError(error);
      }
    },
    async exec(sql) {
      await queryable.exec(sql);
    },
  };
}

function transactionOf(tx: Transaction): PostgresTransaction<Transaction> {
  return {
    client: tx,
    async query<Row>(sql: string, params?: readonly unknown[]) {
      const result = await tx.query<Row>(sql, params as unknown[] | undefined);
      return { rows: result.rows, rowCount: result.rowCount ?? result.affectedRows ?? result.rows.length };
    },
  };
}
