/**
 * The Standard Schema interface (https://standardschema.dev), copied as its
 * authors intend, so that zod 4 (and other libraries that implement it) can
 * type tools without their types appearing in execbox's public API.
 *
 * @module
 */

/** A schema that validates values of type `Output` (from `Input`). */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  /** The standard properties. */
  readonly "~standard": StandardSchemaProps<Input, Output>;
}

/** The properties every Standard Schema has. */
export interface StandardSchemaProps<Input = unknown, Output = Input> {
  /** The version of the standard. */
  readonly version: 1;
  /** The library that made the schema, such as `"zod"`. */
  readonly vendor: string;
  /** Validates a value. */
  readonly validate: (
    value: unknown,
  ) => StandardResult<Output> | Promise<StandardResult<Output>>;
  /** Inferred types, for TypeScript only. */
  readonly types?:
    | { readonly input: Input; readonly output: Output }
    | undefined;
}

/** The outcome of {@linkcode StandardSchemaProps.validate}. */
export type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<StandardIssue> };

/** One validation problem. */
export interface StandardIssue {
  /** What is wrong. */
  readonly message: string;
  /** Where, as keys from the root. */
  readonly path?:
    | ReadonlyArray<PropertyKey | { readonly key: PropertyKey }>
    | undefined;
}
