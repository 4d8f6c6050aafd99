/**
 * One schema change, applied once per schema, in version order, inside the migration transaction.
 * Its SQL is frozen text of its version: it calls no function of the live code, so a later fix of
 * the storage's SQL never changes what a released migration does.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  /** The SQL, given the quoted schema name. */
  readonly sql: (schema: string) => string;
}
