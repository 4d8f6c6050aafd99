/**
 * The Standard Schema v1 contract (https://standardschema.dev), declared here so core stays free of
 * dependencies. zod 4, valibot, arktype and others implement it; any of them can declare events.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': StandardSchemaProps<Input, Output>;
}

/** The `~standard` property of a Standard Schema. */
export interface StandardSchemaProps<Input = unknown, Output = Input> {
  readonly version: 1;
  readonly vendor: string;
  readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
  readonly types?: { readonly input: Input; readonly output: Output } | undefined;
}

/** What a Standard Schema's `validate` returns. */
export type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: readonly StandardIssue[] };

/** One issue reported by a Standard Schema. */
export interface StandardIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
}

/** The type a schema accepts. */
export type SchemaInput<S extends StandardSchemaV1> = NonNullable<S['~standard']['types']>['input'];
/** The type a schema produces (what is stored and read back). */
export type SchemaOutput<S extends StandardSchemaV1> = NonNullable<S['~standard']['types']>['output'];
