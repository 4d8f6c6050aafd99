import type { AppendFence } from '@hindsight/core';
import type { StorageContext } from '../internal/storage-context.js';
import type { PostgresTransaction } from '../postgres-transaction.js';
import { holdAppends, holdAppendsStatements } from './hold-appends.js';

/** Transactions that take the position lock exclusively, so appends wait until they end. */
export function createPostgresAppendFence<Client>(
  context: StorageContext,
): AppendFence<PostgresTransaction<Client>> {
  const statements = holdAppendsStatements(context.quoted);
  return {
    transaction(work) {
      context.ensureOpen();
      return context.driver.transaction(async (session, transaction) =>
        work(
          transaction as PostgresTransaction<Client>,
          await holdAppends(session, statements, context.lockKey),
        ),
      );
    },
  };
}
