import type { StreamLocks } from '@hindsight/core';
import type { StorageContext } from '../internal/storage-context.js';
import type { SessionStreamLocks } from '../internal/stream-locks.js';

/**
 * Stream locks as session advisory locks on a connection of the storage's own, never on a pooled
 * one (see {@link SessionStreamLocks}): a holder needs no second pooled connection for its append,
 * so no pool size can deadlock. Not on PGlite, whose one connection a held lock would hold up:
 * core then serializes hot-stream writers within the process.
 */
export function createPostgresStreamLocks(context: StorageContext, locks: SessionStreamLocks): StreamLocks {
  return {
    async lock(streamId) {
      context.ensureOpen();
      return locks.acquire(streamId);
    },
  };
}
