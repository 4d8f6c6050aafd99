import type { Migration } from './migration.js';

// The primary key sorts by the database's collation; listing pages in code point order
// (COLLATE "C", as the storage port promises) needs indexes of that order, or each page sorts
// the whole table.
export const migration7: Migration = {
  version: 7,
  name: 'stream listing in code point order from an index',
  sql: (schema) => `
CREATE INDEX streams_id_c_idx ON ${schema}.streams (stream_id COLLATE "C");
CREATE INDEX streams_type_id_c_idx ON ${schema}.streams (stream_type, stream_id COLLATE "C");
`,
};
