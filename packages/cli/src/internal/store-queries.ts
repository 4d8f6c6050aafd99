import {
  type ConsumerFailureRecord,
  type EventStorage,
  listConsumerFailures,
  NotSupportedError,
  projectionVersions,
  type StoredCheckpoint,
  type StreamInfo,
  type StreamListQuery,
} from '@hindsight/core';
import type { OpenedStore } from './open-store.js';

/**
 * A consumer's checkpoint and how many positions it is behind the head; null for a retired
 * projection version (replaced by a rebuild, nothing moves it any more).
 */
export interface ConsumerLag {
  readonly consumerId: string;
  readonly position: number;
  readonly lag: number | null;
  /** Present, true, for a retired projection version (see `hindsight projections`). */
  readonly retired?: true;
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
  /** Consumers that gave up on an event and have not got past it since (see `hindsight consumers`). */
  readonly failures: readonly ConsumerFailureRecord[];
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
    consumers: await withRetired(opened, checkpoints, head),
    failures: await listConsumerFailures(opened),
  };
}

/** Checkpoint ids of projection versions: `projection:<name>@<version>`. */
// A partition's checkpoint (`…@2#p0/4`) belongs to its version as the version's own does.
const projectionCheckpoint = /^projection:(.+)@([1-9][0-9]*)(?:#p[0-9]+\/[0-9]+)?$/;

async function withRetired(
  opened: OpenedStore,
  checkpoints: readonly StoredCheckpoint[],
  head: number,
): Promise<ConsumerLag[]> {
  const retired = new Map<string, Set<number>>();
  for (const { consumerId } of checkpoints) {
    const name = projectionCheckpoint.exec(consumerId)?.[1];
    if (name === undefined || retired.has(name)) continue;
    const { versions } = await projectionVersions(opened, { name });
    retired.set(name, new Set(versions.filter((v) => v.state === 'retired').map((v) => v.version)));
  }
  return checkpoints.map(({ consumerId, position }) => {
    const [, name, version] = projectionCheckpoint.exec(consumerId) ?? [];
    if (name !== undefined && retired.get(name)?.has(Number(version)) === true) {
      return { consumerId, position, lag: null, retired: true };
    }
    return { consumerId, position, lag: Math.max(0, head - position) };
  });
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
