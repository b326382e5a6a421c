/**
 * A schema as one route documents it in the OpenAPI document, without a second copy of the schema: a clone that
 * adds what @fastify/swagger reads. A response's description comes from `x-response-description`; one entry in
 * `examples` becomes the media type's `example`, a map in `x-examples` its named `examples`; `headers` become
 * the response's headers. Validation and serialization ignore all of it. Examples are typed by the schema, so
 * an example that no longer fits its schema does not compile.
 */
import { CloneType, type Static, type TSchema } from '@sinclair/typebox';

/** A request body with the example the document shows. */
export function withExample<T extends TSchema>(schema: T, example: Static<T>): T {
  return CloneType(schema, { examples: [example] });
}

export interface ReplyDocumentation<T extends TSchema> {
  example?: Static<T>;
  /** Response headers by name, each a schema with a description. */
  headers?: Record<string, TSchema>;
}

/** A response: what it means for this route, an example, the headers it carries. */
export function reply<T extends TSchema>(schema: T, description: string, documentation: ReplyDocumentation<T> = {}): T {
  return CloneType(schema, {
    'x-response-description': description,
    ...(documentation.example === undefined ? {} : { examples: [documentation.example] }),
    ...(documentation.headers === undefined ? {} : { headers: documentation.headers }),
  });
}
