import { type EventStore, tombstoneOf } from '@hindsight/core';
import type { ImportedEvent } from './event-json.js';

/**
 * Imports a run that is a deleted stream's tombstone, which cannot be appended as an event (its
 * stream's earlier versions are gone from the export): the stream is deleted in the target too
 * when it holds the versions before the tombstone; a target without the stream gets it deleted,
 * holding the tombstone alone, as in the export; nothing is done when it is deleted already.
 * True when `run` was such a tombstone.
 */
export async function importTombstone(
  store: EventStore,
  run: readonly ImportedEvent[],
  counts: { read: number; appended: number; alreadyStored: number },
): Promise<boolean> {
  const [first] = run;
  if (first === undefined || run.length !== 1) return false;
  const tombstone = tombstoneOf(first.event);
  if (tombstone === undefined || store.storage.lifecycle === undefined) return false;
  counts.read += 1;
  const { lifecycle } = store.storage;
  const status = await lifecycle.status(first.streamId);
  if (status?.status === 'deleted') counts.alreadyStored += 1;
  else if (status === undefined) {
    // The export has no deletion time: the tombstone's own (recorded with the deletion) stands in.
    const at = first.event.recordedAt ?? new Date();
    await lifecycle.importDeleted(first.streamId, first.streamType, first.version, first.event, {
      reason: tombstone.reason,
      at,
    });
    counts.appended += 1;
  } else if (status.version === first.version - 1) {
    await store.deleteStream(
      first.streamId,
      tombstone.reason === undefined ? {} : { reason: tombstone.reason },
    );
    counts.appended += 1;
  }
  return true;
}
