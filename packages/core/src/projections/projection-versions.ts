import type { EventCatalog } from '../events/event-catalog.js';
import type { EventStorage } from '../streams/event-storage.js';
import type { EventStore } from '../streams/event-store.js';
import { consumerCheckpointId } from '../subscriptions/checkpoint-id.js';

/** Where each projection's live version is kept: one document per projection name. */
export const liveVersions = 'hindsight.projection-versions';

/** Rebuilds under way: the version each is filling, so an interrupted one resumes. */
export const projectionRebuilds = 'hindsight.projection-rebuilds';

/** The live version of a projection (1 until a rebuild switched it, or without documents). */
export async function readActiveVersion<Tx>(
  storage: EventStorage<Tx>,
  name: string,
  transaction?: Tx,
): Promise<number> {
  const document = await storage.documents?.get(liveVersions, name, transaction);
  const version = (document?.value as { version?: unknown } | undefined)?.version;
  return typeof version === 'number' ? version : 1;
}

/** A projection's checkpoint id per version, so a rebuild's progress never touches the live one's. */
export function projectionCheckpointId(name: string, version: number): string {
  return consumerCheckpointId('projection', name, version);
}

/**
 * The read-model version readers should query: 1 until a rebuild switches to 2, and so on.
 *
 * @example
 * ```ts
 * const version = await activeProjectionVersion(store, OrderSummaries);
 * const rows = await db.query(`select * from order_summaries_v${version}`);
 * ```
 */
export function activeProjectionVersion<Tx>(
  store: Pick<EventStore<readonly EventCatalog[], Tx>, 'storage'>,
  projection: { readonly name: string },
): Promise<number> {
  return readActiveVersion(store.storage, projection.name);
}

/**
 * Where a version of a projection stands: `live` (readers query it), `building` (a rebuild is
 * filling it) or `retired` (a rebuild replaced it; prune it when no reader needs it any more).
 *
 * @example
 * ```ts
 * const retired = versions.filter(({ state }) => state === ('retired' satisfies ProjectionVersionState));
 * ```
 */
export type ProjectionVersionState = 'live' | 'building' | 'retired';

/**
 * One version of a projection's read model.
 *
 * @example
 * ```ts
 * const { version, state, position, lag }: ProjectionVersionInfo = info.versions[0]!;
 * ```
 */
export interface ProjectionVersionInfo {
  readonly version: number;
  readonly state: ProjectionVersionState;
  /** Its checkpoint; undefined when it has none (an inline projection's live version). */
  readonly position: number | undefined;
  /** How many positions it is behind the head; undefined when retired (it no longer follows) or without a checkpoint. */
  readonly lag: number | undefined;
}

/**
 * A projection's versions: the live one readers query, the one a rebuild is filling, and the
 * retired ones that still have a checkpoint (prune them with {@link pruneProjection}).
 *
 * @example
 * ```ts
 * const { live, versions } = await projectionVersions(store, OrdersView);
 * ```
 */
export interface ProjectionVersions {
  readonly projection: string;
  readonly live: number;
  /** The version a rebuild is filling (or left half filled), if any. */
  readonly building: number | undefined;
  /** Ascending by version. */
  readonly versions: readonly ProjectionVersionInfo[];
}

/** The version a rebuild is filling, if any. */
export async function readBuildingVersion<Tx>(
  storage: EventStorage<Tx>,
  name: string,
  transaction?: Tx,
): Promise<number | undefined> {
  const document = await storage.documents?.get(projectionRebuilds, name, transaction);
  const version = (document?.value as { version?: unknown } | undefined)?.version;
  return typeof version === 'number' ? version : undefined;
}

function stateOf(version: number, live: number, building: number | undefined): ProjectionVersionState {
  if (version === live) return 'live';
  return version === building ? 'building' : 'retired';
}

/**
 * The versions of a projection, with their state, checkpoint and lag: which one is live (what
 * readers should query), which one a rebuild is filling, and which are retired. Retired versions
 * report no lag: nothing moves them any more.
 *
 * @example
 * ```ts
 * const { live, versions } = await projectionVersions(store, OrdersView);
 * for (const { version, state, lag } of versions) console.log(`v${version} ${state} lag ${lag ?? '-'}`);
 * ```
 */
export async function projectionVersions<Tx>(
  store: Pick<EventStore<readonly EventCatalog[], Tx>, 'storage'>,
  projection: { readonly name: string },
): Promise<ProjectionVersions> {
  const { storage } = store;
  const { name } = projection;
  const [live, building, head] = await Promise.all([
    readActiveVersion(storage, name),
    readBuildingVersion(storage, name),
    storage.headPosition(),
  ]);
  const positions = new Map<number, number>();
  if (storage.admin === undefined) {
    const highest = Math.max(live, building ?? 0);
    for (let version = 1; version <= highest; version += 1) {
      const position = await storage.loadCheckpoint(projectionCheckpointId(name, version));
      if (position !== undefined) positions.set(version, position);
    }
  } else {
    const own = new Map<number, number>();
    const partitioned = new Map<number, { count: number; positions: Map<number, number> }>();
    for (const { consumerId, position } of await storage.admin.listCheckpoints()) {
      const checkpoint = versionOfCheckpoint(name, consumerId);
      if (checkpoint === undefined) continue;
      const { version, partition } = checkpoint;
      if (partition === undefined) {
        own.set(version, position);
        continue;
      }
      const entry = partitioned.get(version) ?? { count: partition.count, positions: new Map() };
      entry.positions.set(partition.index, position);
      partitioned.set(version, entry);
    }
    for (const [version, position] of own) positions.set(version, position);
    // A partitioned version is as far as its slowest partition; one without a checkpoint of its
    // own yet starts where the version's unpartitioned checkpoint stood (or at the beginning).
    for (const [version, { count, positions: byIndex }] of partitioned) {
      let slowest = Number.POSITIVE_INFINITY;
      for (let index = 0; index < count; index += 1) {
        slowest = Math.min(slowest, byIndex.get(index) ?? own.get(version) ?? 0);
      }
      positions.set(version, slowest);
    }
  }
  const numbers = new Set([...positions.keys(), live, ...(building === undefined ? [] : [building])]);
  const versions = [...numbers]
    .sort((a, b) => a - b)
    .map((version): ProjectionVersionInfo => {
      const state = stateOf(version, live, building);
      const position = positions.get(version);
      const lag = state === 'retired' || position === undefined ? undefined : Math.max(0, head - position);
      return { version, state, position, lag };
    });
  return { projection: name, live, building, versions };
}

/**
 * The version a projection checkpoint id belongs to, if it is one of `name`'s, and the partition
 * it is of (`projection:<name>@<version>#p<index>/<count>`).
 */
export function versionOfCheckpoint(
  name: string,
  consumerId: string,
): { readonly version: number; readonly partition?: { index: number; count: number } } | undefined {
  const prefix = projectionCheckpointId(name, 0).slice(0, -1);
  if (!consumerId.startsWith(prefix)) return undefined;
  const match = /^([1-9][0-9]*)(?:#p([0-9]+)\/([1-9][0-9]*))?$/.exec(consumerId.slice(prefix.length));
  if (match === null) return undefined;
  const [, version, index, count] = match;
  return index === undefined || count === undefined
    ? { version: Number(version) }
    : { version: Number(version), partition: { index: Number(index), count: Number(count) } };
}
