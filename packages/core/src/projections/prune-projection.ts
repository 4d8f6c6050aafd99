import { NotSupportedError, ProjectionVersionInUseError } from '../errors/consumer-errors.js';
import type { EventCatalog, EventSchemas } from '../events/event-catalog.js';
import { checkVersion } from '../internal/checks.js';
import type { EventStore } from '../streams/event-store.js';
import type { ProjectionDefinition } from './define-projection.js';
import {
  projectionCheckpointId,
  readActiveVersion,
  readBuildingVersion,
  versionOfCheckpoint,
} from './projection-versions.js';

/**
 * What {@link pruneProjection} needs of a projection: its name, and its prune hook if it has one
 * (every `defineProjection(...)` result is one).
 *
 * @example
 * ```ts
 * const prunable: PrunableProjection<InMemoryTransaction> = OrdersView;
 * ```
 */
export type PrunableProjection<Tx> = Pick<ProjectionDefinition<string, EventSchemas, Tx>, 'name'> &
  Partial<Pick<ProjectionDefinition<string, EventSchemas, Tx>, 'prune'>>;

/**
 * What pruning removed.
 *
 * @example
 * ```ts
 * const { readModel }: PruneResult = await pruneProjection(store, OrdersView, { version: 1 });
 * if (!readModel) console.warn('no onPrune hook: version 1 of the read model is still stored');
 * ```
 */
export interface PruneResult {
  readonly projection: string;
  readonly version: number;
  /** Whether the version had a checkpoint (now deleted). */
  readonly checkpoint: boolean;
  /** Whether the projection's `onPrune` hook ran (false: it has none, the read-model data is left). */
  readonly readModel: boolean;
}

/**
 * Deletes a retired version of a projection: its checkpoint (each partition's, for a partitioned
 * version), and its read-model data through the projection's `onPrune` hook, in one transaction. The live version and one a rebuild is filling
 * are refused with `ProjectionVersionInUseError` (`PROJECTION_VERSION_IN_USE`). Pruning a version
 * that is already gone does nothing.
 *
 * @example
 * ```ts
 * const { versions } = await projectionVersions(store, OrdersView);
 * for (const { version, state } of versions) {
 *   if (state === 'retired') await pruneProjection(store, OrdersView, { version });
 * }
 * ```
 */
export async function pruneProjection<Tx>(
  store: Pick<EventStore<readonly EventCatalog[], Tx>, 'storage'>,
  projection: PrunableProjection<Tx>,
  options: { readonly version: number },
): Promise<PruneResult> {
  const { storage } = store;
  const { name } = projection;
  const { version } = options;
  checkVersion('version', version, 1);
  const { deleteCheckpoint } = storage;
  if (deleteCheckpoint === undefined) {
    throw new NotSupportedError({
      feature: `Pruning projection "${name}"`,
      storage: storage.kind,
      missing: 'deleteCheckpoint',
    });
  }
  const checkpointId = projectionCheckpointId(name, version);
  // A partitioned version has a checkpoint per partition (`…@<version>#p<index>/<count>`): all go.
  const partitionIds = ((await storage.admin?.listCheckpoints()) ?? [])
    .map(({ consumerId }) => consumerId)
    .filter((id) => versionOfCheckpoint(name, id)?.partition !== undefined)
    .filter((id) => versionOfCheckpoint(name, id)?.version === version);
  const checkpoint = (await storage.loadCheckpoint(checkpointId)) !== undefined || partitionIds.length > 0;
  return storage.transaction(async (transaction) => {
    // Read in the transaction that deletes, so a rebuild switching meanwhile is not pruned away.
    const live = await readActiveVersion(storage, name, transaction);
    if (version === live) throw new ProjectionVersionInUseError({ projection: name, version, state: 'live' });
    if (version === (await readBuildingVersion(storage, name, transaction))) {
      throw new ProjectionVersionInUseError({ projection: name, version, state: 'building' });
    }
    for (const id of [checkpointId, ...partitionIds]) await deleteCheckpoint.call(storage, id, transaction);
    const readModel = (await projection.prune?.({ transaction, version })) ?? false;
    return { projection: name, version, checkpoint, readModel };
  });
}
