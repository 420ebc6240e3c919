import fc from 'fast-check';

// Values for a JSON Schema (the subset zod's OpenAPI and JSON Schema output uses), "valid-ish":
// shaped like the contract, with ids drawn from the fuzzing world so that some requests reach
// the service layer, and now and then a value the contract refuses.
export type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  $ref?: string;
};

/** Picks a string for a field by its name (ids of the world, crons, URLs...), or undefined. */
export type NamedString = (field: string) => fc.Arbitrary<string> | undefined;

const MAX_DEPTH = 6;

/** `minimal`: objects get their required keys only (most likely to pass validation). */
export function schemaArbitrary(
  schema: JsonSchema,
  named: NamedString,
  field = '',
  depth = 0,
  minimal = false,
): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((s) => schemaArbitrary(s, named, field, depth, minimal)));
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (types.length > 1)
    return fc.oneof(...types.map((type) => schemaArbitrary({ ...schema, type }, named, field, depth, minimal)));
  switch (types[0]) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer': {
      const min = bound(schema.minimum ?? schema.exclusiveMinimum, -1e6);
      return fc.integer({ min, max: Math.max(min, bound(schema.maximum, 1e6)) });
    }
    case 'number': {
      const min = bound(schema.minimum ?? schema.exclusiveMinimum, -1e6);
      return fc.double({ min, max: Math.max(min, bound(schema.maximum, 1e6)), noNaN: true, noDefaultInfinity: true });
    }
    case 'string':
      return stringArbitrary(schema, named, field);
    case 'array': {
      if (depth >= MAX_DEPTH) return fc.constant([]);
      const item = schemaArbitrary(schema.items ?? {}, named, field, depth + 1, minimal);
      return fc.array(item, { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 4, 4) });
    }
    case 'object':
      return objectArbitrary(schema, named, depth, minimal);
    default:
      // `{}`: anything JSON.
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function objectArbitrary(
  schema: JsonSchema,
  named: NamedString,
  depth: number,
  minimal: boolean,
): fc.Arbitrary<unknown> {
  if (depth >= MAX_DEPTH) return fc.constant({});
  const props = schema.properties ?? {};
  const required = new Set(schema.required ?? []);
  const record: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [k, s] of Object.entries(props))
    if (!minimal || required.has(k)) record[k] = schemaArbitrary(s, named, k, depth + 1, minimal);
  const known = fc.record(record, { requiredKeys: [...required].filter((k) => k in record) });
  if (!schema.additionalProperties || Object.keys(props).length) return known;
  const value =
    schema.additionalProperties === true
      ? fc.jsonValue({ maxDepth: 2 })
      : schemaArbitrary(schema.additionalProperties, named, '', depth + 1);
  return fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), value, { maxKeys: 4 });
}

function stringArbitrary(schema: JsonSchema, named: NamedString, field: string): fc.Arbitrary<string> {
  const byName = named(field);
  if (byName) return byName;
  const maxLength = Math.min(schema.maxLength ?? 40, 40);
  const minLength = Math.min(schema.minLength ?? 0, maxLength);
  if (schema.format === 'uuid') return fc.uuid();
  if (schema.format === 'date-time')
    return fc
      .date({ min: new Date('2030-01-01'), max: new Date('2099-01-01'), noInvalidDate: true })
      .map((d) => d.toISOString());
  if (schema.format === 'uri' || schema.format === 'url') return fc.webUrl();
  if (schema.pattern) {
    try {
      return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length <= (schema.maxLength ?? Infinity));
    } catch {
      // A pattern JavaScript cannot read: plain strings below.
    }
  }
  return fc.string({ minLength, maxLength, unit: 'grapheme' });
}

function bound(n: number | undefined, fallback: number): number {
  if (n === undefined || !Number.isFinite(n)) return fallback;
  return Math.max(Math.min(n, 1e9), -1e9);
}
