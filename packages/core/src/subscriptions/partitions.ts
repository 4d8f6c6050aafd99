import { PartitionCountChangedError } from '../errors/consumer-errors.js';
import { checkVersion } from '../internal/checks.js';
import type { DocumentStore } from '../streams/event-storage.js';

/**
 * The partition of `count` that a stream's events go to: FNV-1a (32 bit) of the stream id, mod
 * `count`. Stable across processes, machines and releases, so every instance routes alike and a
 * stream's events stay in order within one partition.
 *
 * @example
 * ```ts
 * const partition = partitionOf('Order-o-1', 8); // 0…7, always the same for this stream
 * ```
 */
export function partitionOf(streamId: string, count: number): number {
  return fnv1a(streamId) % count;
}

/**
 * The checkpoint id (and lease name) of one partition of a consumer: `<checkpoint id>#p<i>/<N>`,
 * e.g. `projection:orders@2#p3/8`. The count is part of the id, so checkpoints written under one
 * count are never read under another.
 *
 * @example
 * ```ts
 * await storage.loadCheckpoint(partitionCheckpointId('subscription:audit', 0, 4)); // 'subscription:audit#p0/4'
 * ```
 */
export function partitionCheckpointId(checkpointId: string, index: number, count: number): string {
  return `${checkpointId}#p${index}/${count}`;
}

/**
 * FNV-1a over the UTF-16 code units: cheap and well spread. Storages filter partitions with this very
 * hash (SQLite registers this function; PostgreSQL has its port, `fnv1a(text)`), so never change it.
 */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * Who runs each of `count` partitions among `members`: rendezvous (highest random weight) hashing
 * with bounded loads. Each partition ranks the members by a hash of member and partition, and goes
 * to the first of its ranking that holds fewer than ceil(count / members) partitions, partitions
 * taken in order. Every instance computes the same owners from the same members, in any order.
 * Plain rendezvous spreads few partitions unevenly (4 partitions over 2 members: both on one
 * member in 1 case of 8, 3 and 1 in 4 of 8), and a partitioned consumer goes only as fast as its
 * busiest member; the bound evens that out, and a member joining or leaving still moves few
 * partitions besides its own.
 */
export function partitionOwners(members: readonly string[], count: number): readonly (string | undefined)[] {
  const owners = new Array<string | undefined>(count).fill(undefined);
  if (members.length === 0) return owners;
  const capacity = Math.ceil(count / members.length);
  const load = new Map<string, number>();
  for (let partition = 0; partition < count; partition += 1) {
    const ranked = members
      .map((member) => ({ member, score: mix(fnv1a(`${member}#${partition}`)) }))
      .sort((a, b) => b.score - a.score || (a.member < b.member ? -1 : a.member > b.member ? 1 : 0));
    const owner = ranked.find(({ member }) => (load.get(member) ?? 0) < capacity)?.member;
    if (owner === undefined) continue;
    owners[partition] = owner;
    load.set(owner, (load.get(owner) ?? 0) + 1);
  }
  return owners;
}

/**
 * MurmurHash3's finaliser: FNV-1a alone barely spreads ids differing in one late character
 * (`worker-1`, `worker-2`), which would hand one member every partition.
 */
function mix(hash: number): number {
  let h = hash ^ (hash >>> 16);
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Documents recording each partitioned consumer's count, keyed by its checkpoint id. */
export const consumerPartitions = 'hindsight.consumer-partitions';

/** Documents of the live instances of partitioned consumers, keyed `<checkpoint id>/<owner>`. */
export const consumerMembers = 'hindsight.consumer-members';

export function checkPartitions(count: number | undefined): void {
  if (count !== undefined) checkVersion('partitions', count, 1);
}

/**
 * Refuses to run `checkpointId` with `requested` partitions (1: without) when its checkpoints were
 * written under another count; records the count on the first partitioned start.
 */
export async function checkPartitionCount(
  documents: DocumentStore<unknown> | undefined,
  consumer: string,
  checkpointId: string,
  requested: number | undefined,
): Promise<void> {
  if (documents === undefined) return;
  const stored = (await documents.get(consumerPartitions, checkpointId))?.value as
    | { count?: unknown }
    | undefined;
  const count = typeof stored?.count === 'number' ? stored.count : undefined;
  if (count === undefined) {
    if (requested !== undefined) await documents.put(consumerPartitions, checkpointId, { count: requested });
    return;
  }
  if (count !== (requested ?? 1) || requested === undefined) {
    throw new PartitionCountChangedError({ consumer, stored: count, requested: requested ?? 1 });
  }
}
