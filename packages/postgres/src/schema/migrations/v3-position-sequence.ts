import type { Migration } from './migration.js';

// The counter is locked first, so appends of an older version still in flight commit (or
// wait, then fail on the dropped table) before the sequence continues after their positions.
// CACHE 1: a position is handed out in the order nextval is called, which the read horizon
// relies on; a session-cached range would hand out lower positions later.
export const migration3: Migration = {
  version: 3,
  name: 'positions from a sequence (concurrent appends, safe read horizon)',
  sql: (schema) => {
    const sequence = `'${`${schema}.event_position`.replaceAll("'", "''")}'::regclass`;
    return `
LOCK TABLE ${schema}.global_position IN ACCESS EXCLUSIVE MODE;
CREATE SEQUENCE ${schema}.event_position AS bigint MINVALUE 1 START WITH 1 CACHE 1 NO CYCLE;
SELECT setval(${sequence}, last)
FROM (SELECT greatest((SELECT max(last) FROM ${schema}.global_position),
  (SELECT max(position) FROM ${schema}.events)) AS last) counter
WHERE last > 0;
DROP TABLE ${schema}.global_position;
`;
  },
};
