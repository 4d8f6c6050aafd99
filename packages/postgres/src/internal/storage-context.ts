import type { Driver } from './driver.js';

/** What the storage's capability objects share with it: the driver, the schema, the open check. */
export interface StorageContext {
  readonly driver: Driver;
  /** The schema as given (unquoted). */
  readonly schema: string;
  /** The schema quoted for SQL text. */
  readonly quoted: string;
  /** The advisory lock appends hold shared from taking positions to commit. */
  readonly lockKey: readonly [number, number];
  /** Throws `STORE_CLOSED` once the storage is closed. */
  ensureOpen(): void;
}
