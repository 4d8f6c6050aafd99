import type { StorageAdmin } from '@hindsight/core';
import type { SqliteAccess } from '../internal/sqlite-access.js';

/** The SQLite storage's listings for tools. */
export function createSqliteAdmin(access: SqliteAccess): StorageAdmin {
  return {
    listStreams: (query) => access.read((queries) => queries.listStreams(query)),
    listCheckpoints: () => access.read((queries) => queries.listCheckpoints()),
    stats: () => access.read((queries) => queries.stats()),
  };
}
