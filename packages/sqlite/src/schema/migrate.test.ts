import { createEventStore, createSubscription, defineStreamType, isHindsightError } from '@hindsight/core';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSqliteStorage } from '../sqlite-storage.js';
import { applyMigrations, migrate } from './migrate.js';
import { migrations } from './migrations.js';

describe('migrations', () => {
  let db: Database.Database;
  afterEach(() => db.close());

  it('creates every table once and records each version', () => {
    db = new Database(':memory:');
    expect(migrate(db)).toBe(migrations.length);
    expect(migrate(db)).toBe(migrations.length);
    const tables = db
      .prepare(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE 'hindsight_%' ORDER BY name",
      )
      .pluck()
      .all();
    expect(tables).toEqual([
      'hindsight_archived_events',
      'hindsight_checkpoints',
      'hindsight_documents',
      'hindsight_events',
      'hindsight_leases',
      'hindsight_migrations',
      'hindsight_snapshots',
      'hindsight_streams',
    ]);
    expect(db.prepare('SELECT version FROM hindsight_migrations ORDER BY version').pluck().all()).toEqual(
      migrations.map((migration) => migration.version),
    );
    expect(db.pragma('user_version', { simple: true })).toBe(0);
  });

  it('upgrades an older file on open, keeping its events', async () => {
    db = new Database(':memory:');
    expect(applyMigrations(db, migrations.slice(0, 1))).toBe(1);
    db.prepare(
      'INSERT INTO hindsight_events (stream_id, stream_type, version, event_id, type, data, metadata, recorded_at) ' +
        "VALUES ('s', 'T', 1, 'e-1', 'A', '{}', '{}', 0)",
    ).run();
    const storage = createSqliteStorage({ database: db });
    expect(db.prepare('SELECT max(version) FROM hindsight_migrations').pluck().get()).toBe(migrations.length);
    expect(await storage.headPosition()).toBe(1);
    await storage.documents.put('c', 'k', 1);
    await storage.close();
  });

  it('moves checkpoints and leases of the old id scheme to <kind>:<name>, where consumers pick them up', async () => {
    db = new Database(':memory:');
    applyMigrations(
      db,
      migrations.filter((migration) => migration.version < 5),
    );
    const checkpoint = db.prepare('INSERT INTO hindsight_checkpoints VALUES (?, ?, 0)');
    for (const [id, position] of [
      ['audit', 1],
      ['projection:orders@1', 2],
      ['process:fulfilment', 2],
      ['listener:mailer', 2],
      ['Process:upper', 2],
    ] as const) {
      checkpoint.run(id, position);
    }
    db.prepare("INSERT INTO hindsight_leases (name, owner, expires_at) VALUES ('audit', 'worker', 0)").run();
    const storage = createSqliteStorage({ database: db });
    const ids = db
      .prepare('SELECT consumer_id FROM hindsight_checkpoints ORDER BY consumer_id')
      .pluck()
      .all();
    expect(ids).toEqual([
      'listener:mailer',
      'process:fulfilment',
      'projection:orders@1',
      'subscription:Process:upper',
      'subscription:audit',
    ]);
    expect(db.prepare('SELECT name FROM hindsight_leases').pluck().all()).toEqual(['subscription:audit']);
    const Note = defineStreamType('Note', { Noted: z.object({}) });
    const store = createEventStore({ storage, events: [Note] });
    for (const id of ['n-1', 'n-2'])
      await store.append(id, [{ type: 'Noted', data: {} }], { streamType: 'Note' });
    const seen: number[] = [];
    const audit = createSubscription(store, {
      name: 'audit',
      handle: (event) => void seen.push(event.position),
    });
    await audit.start();
    await audit.waitUntilCaughtUp();
    await audit.stop();
    // It resumed after its old checkpoint (position 1) instead of starting over.
    expect(seen).toEqual([2]);
    await storage.close();
  });

  it('refuses a file migrated by a newer release and changes nothing', () => {
    db = new Database(':memory:');
    migrate(db);
    db.prepare("INSERT INTO hindsight_migrations VALUES (999, 'from the future', 0)").run();
    let error: unknown;
    try {
      migrate(db);
    } catch (thrown) {
      error = thrown;
    }
    expect(isHindsightError(error, 'STORAGE_UNAVAILABLE')).toBe(true);
    expect(String(error)).toMatch(/schema version 999/);
  });

  it('rolls back a migration that fails halfway', () => {
    db = new Database(':memory:');
    const broken = [
      ...migrations,
      {
        version: migrations.length + 1,
        name: 'broken',
        sql: 'CREATE TABLE half (x); SELECT * FROM missing;',
      },
    ];
    expect(() => applyMigrations(db, broken)).toThrow(/missing/);
    expect(db.prepare("SELECT count(*) FROM sqlite_schema WHERE name LIKE 'h%'").pluck().get()).toBe(0);
  });
});
