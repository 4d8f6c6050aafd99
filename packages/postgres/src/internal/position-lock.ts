// The first key of the advisory lock that orders position allocation against read horizons:
// a constant class id ('HSp1'), so it collides with no other advisory lock of this package.
const positionLockClass = 0x48537031;

/**
 * The advisory lock key guarding `schema`'s positions: appends hold it shared from before they take
 * positions until they commit; a reader takes it exclusively, for a moment, to wait them out (see
 * `ReadHorizon`). Two int4 keys, passed as parameters: the class id and a 32-bit hash of the
 * schema name (a collision only makes two schemas wait for each other's appends).
 */
export function positionLockKey(schema: string): readonly [number, number] {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(schema)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return [positionLockClass, hash | 0];
}

/** The position sequence of `schema` (already quoted) as a regclass literal for `nextval` and friends. */
export function positionSequence(quotedSchema: string): string {
  return `'${`${quotedSchema}.event_position`.replaceAll("'", "''")}'::regclass`;
}
