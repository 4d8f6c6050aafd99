import { InvalidArgumentError } from '../errors/hindsight-error.js';
import type { SchemaOutput, StandardSchemaProps, StandardSchemaV1 } from './standard-schema.js';

/**
 * The metadata field recording the schema version an event was written with. Written only for
 * versions above 1, so events stored before their type evolved (or whose type never did) carry
 * nothing and read as version 1. Reads show the version the event was upcast to.
 *
 * @example
 * ```ts
 * for await (const event of store.readStream('Account-a1')) console.log(event.metadata[schemaVersionField] ?? 1);
 * ```
 */
export const schemaVersionField = '$schemaVersion';

/** One version in an event type's history: its schema and how data of the version before becomes it. */
export interface SchemaVersion {
  readonly version: number;
  readonly schema: StandardSchemaV1;
  /** From the previous version's stored data to this version's (undefined for version 1). */
  readonly upcast: ((previous: unknown) => unknown) | undefined;
}

/**
 * An event schema with a history: a Standard Schema of its current version (so it fits anywhere
 * a schema does, and handlers are typed for the current shape) that also knows every earlier
 * version and the pure functions (upcasters) lifting stored data from one version to the next.
 * Built by {@link evolving}.
 *
 * @example
 * ```ts
 * const MoneyDeposited = evolving(z.object({ amount: z.number() }))
 *   .to(2, z.object({ amountCents: z.number().int(), currency: z.string() }), (v1) => ({
 *     amountCents: Math.round(v1.amount * 100),
 *     currency: 'EUR',
 *   }));
 * ```
 */
export interface EvolvingSchema<Input = unknown, Output = Input> extends StandardSchemaV1<Input, Output> {
  /** The current version: the one events are written with. */
  readonly schemaVersion: number;
  /** Every version, oldest first (version 1 first). */
  readonly versions: readonly SchemaVersion[];
  /**
   * Declares the next version (the current one plus 1) and its upcaster: a pure function from
   * the data stored at the current version to the data of the new one.
   */
  to<Next extends StandardSchemaV1>(
    version: number,
    schema: Next,
    upcast: (previous: Output) => SchemaOutput<Next>,
  ): EvolvingSchema<NonNullable<Next['~standard']['types']>['input'], SchemaOutput<Next>>;
}

/**
 * Starts an event type's history at version 1 with `schema`; `.to(2, schema, upcast)` adds the
 * next version. Events stored at an older version are upcast on every read (streams, the global
 * log, aggregates, projections, processes, listeners, time travel, the CLI), then validated
 * against the current schema; new events are written at the current version.
 *
 * @example
 * ```ts
 * const Account = defineAggregate('Account')
 *   .events({
 *     MoneyDeposited: evolving(z.object({ amount: z.number(), note: z.string() }))
 *       .to(2, z.object({ amountCents: z.number().int(), currency: z.string() }), ({ amount }) => ({
 *         amountCents: Math.round(amount * 100),
 *         currency: 'EUR',
 *       })),
 *   })
 *   .initialState(() => ({ balanceCents: 0 }))
 *   .evolve({ MoneyDeposited: (state, { data }) => ({ balanceCents: state.balanceCents + data.amountCents }) })
 *   .commands({});
 * ```
 */
export function evolving<Schema extends StandardSchemaV1>(
  schema: Schema,
): EvolvingSchema<NonNullable<Schema['~standard']['types']>['input'], SchemaOutput<Schema>> {
  return build([{ version: 1, schema, upcast: undefined }]);
}

function build<Input, Output>(versions: readonly SchemaVersion[]): EvolvingSchema<Input, Output> {
  const current = versions[versions.length - 1] as SchemaVersion;
  return Object.freeze({
    // The current schema's own contract: validation, vendor and inferred types are the latest version's.
    '~standard': current.schema['~standard'] as StandardSchemaProps<Input, Output>,
    schemaVersion: current.version,
    versions,
    to(version: number, schema: StandardSchemaV1, upcast: (previous: never) => unknown) {
      if (version !== current.version + 1) {
        throw new InvalidArgumentError({
          argument: 'schema version',
          value: version,
          problem: `must be ${current.version + 1}: versions follow each other from 1`,
        });
      }
      if (typeof upcast !== 'function') {
        throw new InvalidArgumentError({
          argument: `upcaster to version ${version}`,
          value: upcast,
          problem: 'must be a function',
        });
      }
      return build([...versions, { version, schema, upcast: upcast as (previous: unknown) => unknown }]);
    },
  }) as EvolvingSchema<Input, Output>;
}

/** The history of a schema: an evolving schema's, or a plain schema as version 1 only. */
export function schemaHistory(schema: StandardSchemaV1): readonly SchemaVersion[] {
  const versions = (schema as Partial<EvolvingSchema>).versions;
  return Array.isArray(versions) ? versions : [{ version: 1, schema, upcast: undefined }];
}
