import type { StreamLocks } from '@hindsight/core';
import type { StorageContext } from '../internal/storage-context.js';
import { lockStreamParams, lockStreamStatement } from './lock-stream.js';

/**
 * Stream locks as advisory locks, each held by a transaction that stays open (and does nothing
 * else) until released: one pooled connection per held lock. Not on PGlite, whose one connection
 * an open transaction would hold up: core then serializes hot-stream writers within the process.
 */
export function createPostgresStreamLocks(context: StorageContext): StreamLocks {
  return {
    async lock(streamId) {
      context.ensureOpen();
      let release!: () => void;
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      let locked!: () => void;
      const acquired = new Promise<void>((resolve) => {
        locked = resolve;
      });
      const held = context.driver.transaction(async (session) => {
        await session.run(lockStreamStatement, lockStreamParams(context.schema, streamId));
        locked();
        await released;
      });
      await Promise.race([acquired, held]);
      return async () => {
        release();
        await held;
      };
    },
  };
}
