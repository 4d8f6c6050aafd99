import { positionSequence } from '../internal/position-lock.js';
import { leasesTableSql } from '../leases/leases.js';
import { appendFunctionSql } from './append-function.js';

/** One schema change, applied once per schema, in version order, inside the migration transaction. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  /** The SQL, given the quoted schema name. */
  readonly sql: (schema: string) => string;
}

/** Every migration, oldest first. Append only: a released migration never changes. */
export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'events, streams, snapshots, checkpoints, global position',
    sql: (schema) => `
CREATE TABLE ${schema}.events (
  position bigint PRIMARY KEY,
  stream_id text NOT NULL,
  stream_type text NOT NULL,
  version integer NOT NULL,
  event_id uuid NOT NULL UNIQUE,
  type text NOT NULL,
  data jsonb NOT NULL,
  metadata jsonb NOT NULL,
  recorded_at timestamptz NOT NULL,
  CONSTRAINT events_stream_version_key UNIQUE (stream_id, version)
);
CREATE INDEX events_type_position_idx ON ${schema}.events (type, position);
CREATE INDEX events_stream_type_position_idx ON ${schema}.events (stream_type, position);
CREATE TABLE ${schema}.streams (
  stream_id text PRIMARY KEY,
  stream_type text NOT NULL,
  version integer NOT NULL
);
CREATE TABLE ${schema}.snapshots (
  stream_id text PRIMARY KEY,
  stream_type text NOT NULL,
  version integer NOT NULL,
  schema_version integer NOT NULL,
  state jsonb NOT NULL,
  taken_at timestamptz NOT NULL
);
CREATE TABLE ${schema}.checkpoints (
  consumer_id text PRIMARY KEY,
  position bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE ${schema}.global_position (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  last bigint NOT NULL
);
INSERT INTO ${schema}.global_position (id, last) VALUES (true, 0);
`,
  },
  {
    version: 2,
    name: 'documents',
    // COLLATE "C": keys compare by bytes, the binary order the storage port promises.
    sql: (schema) => `
CREATE TABLE ${schema}.documents (
  collection text NOT NULL,
  key text COLLATE "C" NOT NULL,
  value jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (collection, key)
);
`,
  },
  {
    version: 3,
    name: 'positions from a sequence (concurrent appends, safe read horizon)',
    // The counter is locked first, so appends of an older version still in flight commit (or
    // wait, then fail on the dropped table) before the sequence continues after their positions.
    // CACHE 1: a position is handed out in the order nextval is called, which the read horizon
    // relies on; a session-cached range would hand out lower positions later.
    sql: (schema) => `
LOCK TABLE ${schema}.global_position IN ACCESS EXCLUSIVE MODE;
CREATE SEQUENCE ${schema}.event_position AS bigint MINVALUE 1 START WITH 1 CACHE 1 NO CYCLE;
SELECT setval(${positionSequence(schema)}, last)
FROM (SELECT greatest((SELECT max(last) FROM ${schema}.global_position),
  (SELECT max(position) FROM ${schema}.events)) AS last) counter
WHERE last > 0;
DROP TABLE ${schema}.global_position;
`,
  },
  {
    version: 4,
    name: 'consumer leases',
    sql: leasesTableSql,
  },
  {
    version: 5,
    name: 'global log pages that walk an index in position order',
    sql: readAllFunctionsSql,
  },
  {
    version: 6,
    name: 'appends through a function planned once per connection',
    sql: appendFunctionSql,
  },
  {
    version: 7,
    name: 'stream listing in code point order from an index',
    // The primary key sorts by the database's collation; listing pages in code point order
    // (COLLATE "C", as the storage port promises) needs indexes of that order, or each page sorts
    // the whole table.
    sql: (schema) => `
CREATE INDEX streams_id_c_idx ON ${schema}.streams (stream_id COLLATE "C");
CREATE INDEX streams_type_id_c_idx ON ${schema}.streams (stream_type, stream_id COLLATE "C");
`,
  },
];

/**
 * Pages of the global log as functions, so the planner settings can go with them: without
 * statistics (a freshly loaded table, autovacuum off or not yet run), PostgreSQL estimates a
 * position range at a few rows and picks a bitmap scan plus a sort of everything after the
 * checkpoint — each page then costs the rest of the log, and a catch-up turns quadratic. With
 * bitmap and sequential scans and sorts priced out, the only plan left walks an index in position
 * order and stops at the limit. `jit` is off because those prices would make every page compile.
 * Parameter names differ from the column names, which SQL functions would prefer.
 */
export function readAllFunctionsSql(schema: string): string {
  const settings = 'SET enable_seqscan = off SET enable_bitmapscan = off SET enable_sort = off SET jit = off';
  const filtered = (indexed: 'type' | 'stream_type', other: 'type' | 'stream_type'): string => `
CREATE FUNCTION ${schema}.read_all_page_by_${indexed}(
  after_position bigint, up_to bigint, max_rows integer, indexed_values text[], other_values text[]
) RETURNS SETOF ${schema}.events LANGUAGE sql STABLE ${settings} AS $page$
  SELECT e.* FROM unnest(indexed_values) AS f(value)
  CROSS JOIN LATERAL (
    SELECT * FROM ${schema}.events x
    WHERE x.${indexed} = f.value AND x.position > after_position AND x.position <= up_to
      AND (other_values IS NULL OR x.${other} = ANY(other_values))
    ORDER BY x.position LIMIT max_rows
  ) e
  ORDER BY e.position LIMIT max_rows
$page$;`;
  return `
CREATE FUNCTION ${schema}.read_all_page(after_position bigint, up_to bigint, max_rows integer)
RETURNS SETOF ${schema}.events LANGUAGE sql STABLE ${settings} AS $page$
  SELECT * FROM ${schema}.events e
  WHERE e.position > after_position AND e.position <= up_to
  ORDER BY e.position LIMIT max_rows
$page$;
${filtered('type', 'stream_type')}
${filtered('stream_type', 'type')}
`;
}
