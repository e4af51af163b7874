// Types of the validator that esbuild.mjs generates from media/ddstore.schema.json
// with ajv's standalone code. The .js file is generated at build time and not committed.
import type { ErrorObject } from 'ajv';

/** A compiled ajv validate function; after a failed call, `errors` lists every error found. */
export interface SchemaValidateFunction {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

/** Validates a whole `.ddstore.json` value against the schema. */
export declare const validateFile: SchemaValidateFunction;

/** Validates one item against `#/definitions/item`. */
export declare const validateItem: SchemaValidateFunction;
