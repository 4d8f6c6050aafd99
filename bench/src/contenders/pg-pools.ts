import pg from 'pg';

// Emmett's driver layer replaces pg's process-wide parsers for int8 and json(b) when its first pool
// is created. The raw floor and Hindsight get pg's own parsers, captured here before that, through
// the per-pool `types` option, so no contender pays for (or breaks on) another's global changes.
const pristineParsers = new Map<number, unknown>(
  [20, 114, 3802].map((oid) => [oid, pg.types.getTypeParser(oid, 'text')]),
);

const pristineTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    (format ?? 'text') === 'text' && pristineParsers.has(oid)
      ? pristineParsers.get(oid)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** A connection string whose sessions use `schema` as their search path. */
export function withSearchPath(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return parsed.toString();
}

/** A pool on `url` with pg's default parsers, whatever other libraries did to the globals. */
export function createPool(url: string, max: number, schema?: string): pg.Pool {
  return new pg.Pool({
    connectionString: schema === undefined ? url : withSearchPath(url, schema),
    max,
    types: pristineTypes,
  });
}

/** Whether `error` is PostgreSQL's unique violation. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
}

/** A single client (for LISTEN) with pg's default parsers. */
export function createClient(url: string, schema?: string): pg.Client {
  return new pg.Client({
    connectionString: schema === undefined ? url : withSearchPath(url, schema),
    types: pristineTypes,
  });
}
