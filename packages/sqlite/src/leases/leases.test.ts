import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteStorage } from '../sqlite-storage.js';

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
