import { InvalidArgumentError } from '../errors/hindsight-error.js';
import type { EvolvingSchema } from '../events/evolving-schema.js';
import type { SchemaInput, SchemaOutput, StandardSchemaV1 } from '../events/standard-schema.js';

/**
 * What a personal field reads as once its data subject is forgotten (`store.forget(subjectId)`):
 * the key that encrypted it is gone, so the value is too. Plain JSON, so it survives snapshots,
 * read models and exports, and tools show it as is. Test for it with {@link isForgotten}.
 *
 * @example
 * ```ts
 * const email = isForgotten(event.data.email) ? '(forgotten)' : event.data.email;
 * ```
 */
export interface Forgotten {
  readonly $forgotten: true;
  /** The data subject the value belonged to. */
  readonly subject: string;
}

/**
 * Whether a value is the {@link Forgotten} placeholder of a forgotten personal field.
 *
 * @example
 * ```ts
 * evolve: { CustomerRegistered: (state, { data }) => ({ ...state, name: isForgotten(data.name) ? undefined : data.name }) }
 * ```
 */
export function isForgotten(value: unknown): value is Forgotten {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { $forgotten?: unknown }).$forgotten === true &&
    typeof (value as { subject?: unknown }).subject === 'string'
  );
}

/** The placeholder of a forgotten field of `subject`. */
export function forgottenValue(subject: string): Forgotten {
  return { $forgotten: true, subject };
}

/**
 * `Data` with each of `Fields` possibly {@link Forgotten}: how personal events read.
 *
 * @example
 * ```ts
 * type Read = WithForgotten<{ id: string; email: string }, 'email'>; // { id: string; email: string | Forgotten }
 * ```
 */
export type WithForgotten<Data, Fields extends keyof Data> = Data extends object
  ? { [Key in keyof Data]: Key extends Fields ? Data[Key] | Forgotten : Data[Key] }
  : Data;

/**
 * The event a `subject` function is asked about, beside its data.
 *
 * @example
 * ```ts
 * const subject = (_data: unknown, { streamId }: PersonalEventContext) => streamId.slice('Customer-'.length);
 * ```
 */
export interface PersonalEventContext {
  readonly streamId: string;
  readonly type: string;
}

/**
 * Which fields of an event are personal, and whose they are. See {@link personal}.
 *
 * @example
 * ```ts
 * const fields: PersonalFields<{ customerId: string }> = { subject: (data) => data.customerId, fields: ['email'] };
 * ```
 */
export interface PersonalFields<Data = unknown> {
  /**
   * The data subject (a customer, a user) the fields belong to: an id, never personal itself.
   * From the event's data, or its stream (for an aggregate whose id is the subject's).
   */
  readonly subject: (data: Data, event: PersonalEventContext) => string;
  /** Top-level fields holding personal data. A whole object or array may be one field. */
  readonly fields: readonly string[];
}

/**
 * An event schema whose fields `fields` are personal: encrypted per data subject when appended,
 * decrypted on read, and {@link Forgotten} once the subject is forgotten. Built by {@link personal}.
 *
 * @example
 * ```ts
 * const schema: PersonalSchema = personal(z.object({ id: z.string(), email: z.string() }), {
 *   subject: (data) => data.id,
 *   fields: ['email'],
 * });
 * console.log(schema.personal.fields); // ['email']
 * ```
 */
export interface PersonalSchema<Input = unknown, Output = Input> extends StandardSchemaV1<Input, Output> {
  readonly personal: PersonalFields;
}

/**
 * Marks fields of an event schema as personal data (GDPR "crypto-shredding"). The store encrypts
 * each of them with the data subject's key (AES-256-GCM, a fresh IV per value) after validation,
 * and decrypts them in its read gate before upcasting and validation; `store.forget(subjectId)`
 * deletes the key, after which the fields read as {@link Forgotten} (the output type says so).
 * Works with any Standard Schema (zod, valibot, arktype…); for an evolving event, mark the
 * version that has the fields: `evolving(v1).to(2, personal(v2, …), upcast)`.
 *
 * @example
 * ```ts
 * const CustomerRegistered = personal(
 *   z.object({ customerId: z.string(), name: z.string(), email: z.string() }),
 *   { subject: (data) => data.customerId, fields: ['name', 'email'] },
 * );
 * ```
 */
export function personal<
  Schema extends StandardSchemaV1,
  const Field extends keyof SchemaOutput<Schema> & string,
>(
  schema: Schema,
  options: {
    readonly subject: (data: SchemaOutput<Schema>, event: PersonalEventContext) => string;
    readonly fields: readonly Field[];
  },
): PersonalSchema<SchemaInput<Schema>, WithForgotten<SchemaOutput<Schema>, Field>> {
  if (typeof options?.subject !== 'function') {
    throw new InvalidArgumentError({
      argument: 'personal subject',
      value: options?.subject,
      problem: 'must be a function returning the data subject id of an event',
    });
  }
  const fields: unknown = options.fields;
  if (
    !Array.isArray(fields) ||
    fields.length === 0 ||
    fields.some((field) => typeof field !== 'string' || field === '')
  ) {
    throw new InvalidArgumentError({
      argument: 'personal fields',
      value: fields,
      problem: 'must be a non-empty list of top-level field names',
    });
  }
  const history = schema as Partial<EvolvingSchema>;
  return Object.freeze({
    '~standard': schema['~standard'],
    personal: Object.freeze({
      subject: options.subject as PersonalFields['subject'],
      fields: Object.freeze([...(fields as string[])]),
    }),
    // Keep an evolving schema's history, so `personal(evolving(…))` still upcasts.
    ...(history.versions === undefined
      ? {}
      : { versions: history.versions, schemaVersion: history.schemaVersion }),
  }) as unknown as PersonalSchema<SchemaInput<Schema>, WithForgotten<SchemaOutput<Schema>, Field>>;
}

/** The personal fields declared by a schema (or by the current version of an evolving one). */
export function personalFieldsOf(schema: StandardSchemaV1 | undefined): PersonalFields | undefined {
  if (schema === undefined) return undefined;
  const own = (schema as Partial<PersonalSchema>).personal;
  if (own !== undefined) return own;
  const current = (schema as Partial<EvolvingSchema>).versions?.at(-1)?.schema;
  return current === undefined || current === schema
    ? undefined
    : (current as Partial<PersonalSchema>).personal;
}
