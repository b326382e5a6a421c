/**
 * Schemas with a `title` (the Session, the error body) become named components of the OpenAPI document,
 * referenced from every operation instead of inlined in each: the document is a fraction of the size, and
 * Swagger UI lists them as models. Two different schemas with one title are a mistake, and an error.
 * Only schema positions are walked (parameters, bodies, responses, headers, and the schemas within them),
 * never examples, whose values may have a `title` of their own.
 */
type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const valuesOf = (value: unknown): unknown[] => (isObject(value) ? Object.values(value) : []);
const itemsOf = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

const COMPONENTS = '#/components/schemas/';

export function hoistTitledSchemas<T extends object>(document: T): T {
  const root = document as Json;
  const components = isObject(root.components) ? root.components : (root.components = {});
  const named: Json = isObject(components.schemas) ? components.schemas : (components.schemas = {});
  const text = new Map<string, string>();

  /** The schema with every titled schema in it (itself included) replaced by a reference. */
  const hoist = (schema: unknown): unknown => {
    if (!isObject(schema)) return schema;
    for (const key of ['properties', 'patternProperties']) {
      const children = schema[key];
      if (isObject(children)) for (const [name, child] of Object.entries(children)) children[name] = hoist(child);
    }
    for (const key of ['items', 'additionalProperties', 'not']) if (isObject(schema[key])) schema[key] = hoist(schema[key]);
    for (const key of ['anyOf', 'oneOf', 'allOf']) {
      const list = schema[key];
      if (Array.isArray(list)) schema[key] = list.map(hoist);
    }
    const title = schema.title;
    if (typeof title !== 'string') return schema;
    const serialized = JSON.stringify(schema);
    const seen = text.get(title);
    if (seen === undefined) {
      text.set(title, serialized);
      named[title] = schema;
    } else if (seen !== serialized) {
      throw new Error(`two different schemas are titled '${title}' in the OpenAPI document`);
    }
    return { $ref: `${COMPONENTS}${title}` };
  };

  const hoistMedia = (content: unknown): void => {
    for (const media of valuesOf(content)) if (isObject(media) && media.schema !== undefined) media.schema = hoist(media.schema);
  };

  for (const pathItem of valuesOf(root.paths)) {
    for (const operation of valuesOf(pathItem)) {
      if (!isObject(operation)) continue;
      for (const parameter of itemsOf(operation.parameters)) if (isObject(parameter) && parameter.schema !== undefined) parameter.schema = hoist(parameter.schema);
      if (isObject(operation.requestBody)) hoistMedia(operation.requestBody.content);
      for (const response of valuesOf(operation.responses)) {
        if (!isObject(response)) continue;
        hoistMedia(response.content);
        for (const header of valuesOf(response.headers)) if (isObject(header) && header.schema !== undefined) header.schema = hoist(header.schema);
      }
    }
  }
  return document;
}
