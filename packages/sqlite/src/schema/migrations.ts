/** One schema change. Versions start at 1 and never change once released: add, never edit. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/**
 * Every table is prefixed `hindsight_` because the database is shared with the application's own
 * read-model tables, written in the same transactions.
 */
export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'events, streams, snapshots, checkpoints',
    sql: `
      CREATE TABLE hindsight_events (
        position INTEGER PRIMARY KEY,
        stream_id TEXT NOT NULL,
        stream_type TEXT NOT NULL,
        version INTEGER NOT NULL,
        event_id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        data TEXT NOT NULL,
        metadata TEXT NOT NULL,
        recorded_at INTEGER NOT NULL
      ) STRICT;
      CREATE UNIQUE INDEX hindsight_events_stream ON hindsight_events (stream_id, version);
      CREATE INDEX hindsight_events_type ON hindsight_events (type, position);
      CREATE INDEX hindsight_events_stream_type ON hindsight_events (stream_type, position);

      CREATE TABLE hindsight_streams (
        stream_id TEXT PRIMARY KEY,
        stream_type TEXT NOT NULL,
        version INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE hindsight_snapshots (
        stream_id TEXT PRIMARY KEY,
        stream_type TEXT NOT NULL,
        version INTEGER NOT NULL,
        schema_version INTEGER NOT NULL,
        state TEXT NOT NULL,
        recorded_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE hindsight_checkpoints (
        consumer_id TEXT PRIMARY KEY,
        position INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    name: 'documents',
    sql: `
      CREATE TABLE hindsight_documents (
        collection TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (collection, key)
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 3,
    name: 'consumer leases',
    // expires_at: milliseconds since the epoch, by the clock of the machine holding the file.
    sql: `
      CREATE TABLE hindsight_leases (
        name TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 4,
    name: 'lease holder process',
    // Which process on which machine holds a lease, so a restarted app need not wait out the lease
    // of its own dead predecessor (see leases/leases.ts).
    sql: `
      ALTER TABLE hindsight_leases ADD COLUMN holder_host TEXT;
      ALTER TABLE hindsight_leases ADD COLUMN holder_pid INTEGER;
    `,
  },
  {
    version: 5,
    name: 'checkpoint ids and lease names lead with the consumer kind',
    // Subscriptions kept their bare name as id, so one named `process:x` shared process manager
    // x's checkpoint; now every id is `<kind>:<name>`. Ids of the other kinds already had their
    // prefix (compared with substr: LIKE ignores case in SQLite); the rest were subscriptions'.
    sql: `
      UPDATE hindsight_checkpoints SET consumer_id = 'subscription:' || consumer_id
      WHERE substr(consumer_id, 1, 11) <> 'projection:'
        AND substr(consumer_id, 1, 8) <> 'process:'
        AND substr(consumer_id, 1, 9) <> 'listener:';
      UPDATE hindsight_leases SET name = 'subscription:' || name
      WHERE substr(name, 1, 11) <> 'projection:'
        AND substr(name, 1, 8) <> 'process:'
        AND substr(name, 1, 9) <> 'listener:';
    `,
  },
  {
    version: 6,
    name: 'stream lifecycle: closed and deleted streams, archived events',
    // status: 'open' | 'closed' | 'deleted'; changed_at: epoch milliseconds of the close or delete.
    // The archive has the events table's shape and indexes, so reads read through it the same way.
    sql: `
      ALTER TABLE hindsight_streams ADD COLUMN status TEXT NOT NULL DEFAULT 'open';
      ALTER TABLE hindsight_streams ADD COLUMN changed_at INTEGER;
      ALTER TABLE hindsight_streams ADD COLUMN reason TEXT;
      ALTER TABLE hindsight_streams ADD COLUMN archived_up_to INTEGER NOT NULL DEFAULT 0;

      CREATE TABLE hindsight_archived_events (
        position INTEGER PRIMARY KEY,
        stream_id TEXT NOT NULL,
        stream_type TEXT NOT NULL,
        version INTEGER NOT NULL,
        event_id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        data TEXT NOT NULL,
        metadata TEXT NOT NULL,
        recorded_at INTEGER NOT NULL
      ) STRICT;
      CREATE UNIQUE INDEX hindsight_archived_events_stream ON hindsight_archived_events (stream_id, version);
      CREATE INDEX hindsight_archived_events_type ON hindsight_archived_events (type, position);
      CREATE INDEX hindsight_archived_events_stream_type ON hindsight_archived_events (stream_type, position);
    `,
  },
];
