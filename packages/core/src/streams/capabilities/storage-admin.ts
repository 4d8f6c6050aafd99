import type { StreamInfo } from '../storage-records.js';

/**
 * A page of a store's streams, ascending by stream id in code point order (see
 * {@link StorageAdmin.listStreams}).
 *
 * @example
 * ```ts
 * const page = await storage.admin!.listStreams({ streamType: 'Order', after: 'Order-o-9', limit: 100 });
 * ```
 */
export interface StreamListQuery {
  /** Exclusive: the last stream id of the previous page. */
  readonly after?: string;
  /** Only streams of this type. */
  readonly streamType?: string;
  readonly limit: number;
}

/**
 * One consumer's saved position (see {@link StorageAdmin.listCheckpoints}).
 *
 * @example
 * ```ts
 * for (const { consumerId, position } of await storage.admin!.listCheckpoints()) console.log(consumerId, position);
 * ```
 */
export interface StoredCheckpoint {
  readonly consumerId: string;
  readonly position: number;
}

/**
 * How much a store holds (see {@link StorageAdmin.stats}).
 *
 * @example
 * ```ts
 * const { streams, events } = await storage.admin!.stats();
 * ```
 */
export interface StorageStats {
  readonly streams: number;
  readonly events: number;
}

/**
 * Read-only listings for tools such as the CLI and the explorer. An optional capability of the
 * port (`EventStorage.admin`): tools report `NotSupportedError` on a storage without it.
 *
 * @example
 * ```ts
 * const admin = storage.admin;
 * if (admin) {
 *   const { streams, events } = await admin.stats();
 *   const first = await admin.listStreams({ limit: 20 });
 *   const checkpoints = await admin.listCheckpoints();
 * }
 * ```
 */
export interface StorageAdmin {
  /** A page of the store's streams (see {@link StreamListQuery}). */
  listStreams(query: StreamListQuery): Promise<readonly StreamInfo[]>;
  /** Every consumer's checkpoint, ascending by consumer id (code point order). */
  listCheckpoints(): Promise<readonly StoredCheckpoint[]>;
  /** How many streams and events the store holds. */
  stats(): Promise<StorageStats>;
}
