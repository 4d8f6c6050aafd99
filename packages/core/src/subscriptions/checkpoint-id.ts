/**
 * The kinds of consumer that keep a checkpoint. The kind leads every checkpoint id (and lease
 * name), so consumers of different kinds never share one, whatever their names.
 *
 * @example
 * ```ts
 * const kind: ConsumerKindName = 'listener';
 * ```
 */
export type ConsumerKindName = 'subscription' | 'projection' | 'process' | 'listener';

/**
 * The checkpoint id (and lease name) of a consumer: `<kind>:<name>`, and for a projection
 * `projection:<name>@<version>`. The kind comes first and the name follows whole, so a
 * subscription named `process:fulfilment` gets `subscription:process:fulfilment`, never the
 * process manager's `process:fulfilment`; a projection's version is the digits after the last `@`.
 *
 * @example
 * ```ts
 * await store.storage.loadCheckpoint(consumerCheckpointId('subscription', 'audit-log')); // 'subscription:audit-log'
 * ```
 */
export function consumerCheckpointId(kind: ConsumerKindName, name: string, version?: number): string {
  return version === undefined || kind !== 'projection' ? `${kind}:${name}` : `${kind}:${name}@${version}`;
}
