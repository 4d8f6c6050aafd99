import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from '../schema/migrate.js';
import { createSqliteStorage } from '../sqlite-storage.js';
import { prepareLeases } from './leases.js';

const folder = mkdtempSync(join(tmpdir(), 'hindsight-sqlite-leases-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('leases on one file shared by several connections (as by several processes)', () => {
  it('go to one connection at a time, hand over on expiry, and fence the stale holder', async () => {
    const path = join(folder, 'leases.db');
    const connections = Array.from({ length: 4 }, () => createSqliteStorage({ path }));
    try {
      const won = await Promise.all(
        connections.map((storage, index) => storage.leases.acquire('consumer', `owner-${index}`, 150)),
      );
      expect(won.filter(Boolean)).toHaveLength(1);
      const holder = won.indexOf(true);
      const holderStorage = connections[holder];
      const other = connections[(holder + 1) % connections.length];
      if (holderStorage === undefined || other === undefined) throw new Error('unreachable');
      expect(await other.leases.read('consumer')).toMatchObject({ owner: `owner-${holder}` });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await other.leases.acquire('consumer', 'late', 10_000)).toBe(true);
      await expect(
        holderStorage.transaction(async (transaction) => {
          await holderStorage.saveCheckpoint('consumer', 7, transaction);
          await holderStorage.leases.assert('consumer', `owner-${holder}`, transaction);
        }),
      ).rejects.toMatchObject({ code: 'LEASE_LOST' });
      expect(await other.loadCheckpoint('consumer')).toBeUndefined();
    } finally {
      for (const storage of connections) await storage.close();
    }
  });
});

describe('a lease whose holder process is gone', () => {
  const file = () => {
    const db = new Database(join(folder, `holders-${globalThis.crypto.randomUUID()}.db`));
    migrate(db);
    return db;
  };
  const holder = (host: string, pid: number, alive: boolean) => ({ host, pid, alive: () => alive });

  it('is taken over at once by a process of the same host', () => {
    const db = file();
    try {
      const dead = prepareLeases(db, holder('box', 111, true));
      expect(dead.acquire('consumer', 'first', 10_000, 1_000)).toBe(true);
      const restarted = prepareLeases(db, holder('box', 222, false));
      expect(restarted.acquire('consumer', 'second', 10_000, 2_000)).toBe(true);
      expect(restarted.read('consumer')).toMatchObject({ owner: 'second', expiresAt: new Date(12_000) });
      expect(dead.holds('consumer', 'first', 2_000)).toBe(false);
    } finally {
      db.close();
    }
  });

  it('is waited out while the holder runs, or when it runs on another host', () => {
    const db = file();
    try {
      expect(prepareLeases(db, holder('box', 111, true)).acquire('consumer', 'first', 10_000, 1_000)).toBe(
        true,
      );
      expect(prepareLeases(db, holder('box', 222, true)).acquire('consumer', 'second', 10_000, 2_000)).toBe(
        false,
      );
      expect(prepareLeases(db, holder('other', 222, false)).acquire('consumer', 'third', 10_000, 2_000)).toBe(
        false,
      );
      expect(prepareLeases(db, holder('box', 222, true)).acquire('consumer', 'second', 10_000, 11_000)).toBe(
        true,
      );
    } finally {
      db.close();
    }
  });
});
