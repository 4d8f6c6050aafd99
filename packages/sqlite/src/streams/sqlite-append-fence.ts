import type { AppendFence } from '@hindsight/core';
import type { SqliteAccess } from '../internal/sqlite-access.js';
import type { SqliteTransaction } from '../sqlite-transaction.js';

/**
 * Transactions holding appends back. The write lock already does; the log is read inside the
 * transaction because on an in-memory database (one connection only) reads from outside would
 * wait for that lock.
 */
export function createSqliteAppendFence(access: SqliteAccess): AppendFence<SqliteTransaction> {
  return {
    transaction: (work) =>
      access.write((transaction) =>
        work(transaction, {
          headPosition: () => access.readIn(transaction, (queries) => queries.headPosition()),
          readAll: (query) => access.readIn(transaction, (queries) => queries.readAll(query)),
        }),
      ),
  };
}
