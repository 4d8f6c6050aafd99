import { type EventStorage, NotSupportedError, type StreamInfo, type StreamListQuery } from '@hindsight/core';
import type { OpenedStore } from './open-store.js';

/** A consumer's checkpoint and how many positions it is behind the head. */
export interface ConsumerLag {
  readonly consumerId: string;
  readonly position: number;
  readonly lag: number;
}

/** What `info --json` prints and the explorer's `/api/info` starts with. */
export interface StoreSummary {
  readonly store: { readonly kind: OpenedStore['location']['kind']; readonly description: string };
  readonly head: number;
  /** Null when the storage cannot count. */
  readonly streams: number | null;
  readonly events: number | null;
  /** Empty too when the storage cannot list checkpoints. */
  readonly consumers: readonly ConsumerLag[];
}

export async function summarizeStore(opened: OpenedStore): Promise<StoreSummary> {
  const { storage } = opened;
  const head = await storage.headPosition();
  const stats = await storage.admin?.stats();
  const checkpoints = (await storage.admin?.listCheckpoints()) ?? [];
  return {
    store: { kind: opened.location.kind, description: opened.description },
    head,
    streams: stats?.streams ?? null,
    events: stats?.events ?? null,
    consumers: checkpoints.map(({ consumerId, position }) => ({
      consumerId,
      position,
      lag: Math.max(0, head - position),
    })),
  };
}

/** One page of streams by id; `feature` names what needed it when the storage cannot list. */
export function listStreamPage(
  storage: EventStorage<unknown>,
  query: StreamListQuery,
  feature: string,
): Promise<readonly StreamInfo[]> {
  if (storage.admin === undefined) {
    throw new NotSupportedError({ feature, storage: storage.kind, missing: 'admin' });
  }
  return storage.admin.listStreams(query);
}
