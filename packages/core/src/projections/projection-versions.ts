import type { EventCatalog } from '../events/event-catalog.js';
import type { EventStorage } from '../streams/event-storage.js';
import type { EventStore } from '../streams/event-store.js';

/** Where each projection's live version is kept: one document per projection name. */
export const projectionVersions = 'hindsight.projection-versions';

/** Rebuilds under way: the version each is filling, so an interrupted one resumes. */
export const projectionRebuilds = 'hindsight.projection-rebuilds';

/** The live version of a projection (1 until a rebuild switched it, or without documents). */
export async function readActiveVersion<Tx>(
  storage: EventStorage<Tx>,
  name: string,
  transaction?: Tx,
): Promise<number> {
  const document = await storage.documents?.get(projectionVersions, name, transaction);
  const version = (document?.value as { version?: unknown } | undefined)?.version;
  return typeof version === 'number' ? version : 1;
}

/** A projection's checkpoint id per version, so a rebuild's progress never touches the live one's. */
export function projectionCheckpointId(name: string, version: number): string {
  return `projection:${name}@${version}`;
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
