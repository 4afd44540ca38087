// The docs page's view of a JSON schema (as z.toJSONSchema emits it): one row
// per field, nested objects flattened to dotted names, with the type, whether
// it is required, and its constraints in words.
import type { JsonSchema } from "./document";

export interface FieldRow {
  name: string;
  type: string;
  required: boolean;
  constraints: string[];
}

const asSchema = (v: unknown): JsonSchema | undefined => (v && typeof v === "object" && !Array.isArray(v) ? (v as JsonSchema) : undefined);
const branches = (s: JsonSchema) => ((s.anyOf ?? s.oneOf) as JsonSchema[] | undefined) ?? [];
const isNull = (s: JsonSchema) => s.type === "null";

/** `X | null` reads as X with "or null"; other unions stay unions. */
function unwrapNullable(s: JsonSchema): { schema: JsonSchema; nullable: boolean } {
  const options = branches(s);
  const rest = options.filter((o) => !isNull(o));
  if (options.length > 1 && rest.length === 1 && rest.length < options.length) return { schema: rest[0]!, nullable: true };
  return { schema: s, nullable: false };
}

export function typeName(s: JsonSchema): string {
  const { schema, nullable } = unwrapNullable(s);
  const base = baseTypeName(schema);
  return nullable ? `${base} or null` : base;
}

function baseTypeName(s: JsonSchema): string {
  const options = branches(s);
  if (options.length) return [...new Set(options.map(typeName))].join(" or ");
  if ("const" in s) return s.const === null ? "null" : typeof s.const;
  if (Array.isArray(s.type)) return s.type.join(" or ");
  if (s.type === "array") {
    const items = asSchema(s.items);
    return items ? `array of ${typeName(items)}` : "array";
  }
  if (typeof s.type === "string") return s.type;
  if (Array.isArray(s.enum)) return "string";
  return "any";
}

const range = (min: unknown, max: unknown, unit: string) => {
  const lo = typeof min === "number" ? min : undefined;
  const hi = typeof max === "number" ? max : undefined;
  if (lo !== undefined && hi !== undefined) return lo === hi ? `exactly ${lo}${unit}` : `${lo}–${hi}${unit}`;
  if (lo !== undefined) return `at least ${lo}${unit}`;
  if (hi !== undefined) return `at most ${hi}${unit}`;
  return undefined;
};

export function constraintsOf(s: JsonSchema): string[] {
  const { schema } = unwrapNullable(s);
  const out: string[] = [];
  if (Array.isArray(schema.enum)) out.push(`one of ${schema.enum.map((v) => JSON.stringify(v)).join(", ")}`);
  if ("const" in schema) out.push(`exactly ${JSON.stringify(schema.const)}`);
  const chars = range(schema.minLength, schema.maxLength, " characters");
  if (chars) out.push(chars);
  const value = range(schema.exclusiveMinimum ?? schema.minimum, schema.exclusiveMaximum ?? schema.maximum, "");
  if (value) out.push(value);
  const items = range(schema.minItems, schema.maxItems, " items");
  if (items) out.push(items);
  // A named format says more to a reader than the long pattern that checks it.
  if (typeof schema.format === "string") out.push(`format ${schema.format}`);
  else if (typeof schema.pattern === "string") out.push(`pattern ${schema.pattern}`);
  if ("default" in schema) out.push(`default ${JSON.stringify(schema.default)}`);
  const elements = asSchema(schema.items);
  if (elements && !asSchema(elements.properties)) for (const c of constraintsOf(elements)) out.push(`each: ${c}`);
  return out;
}

/**
 * The fields of an object schema, depth first. A nested field is required
 * only when it and every object around it are.
 */
export function schemaFields(schema: JsonSchema, prefix = "", parentRequired = true): FieldRow[] {
  const { schema: object } = unwrapNullable(schema);
  const properties = asSchema(object.properties) ?? {};
  const required = new Set(Array.isArray(object.required) ? (object.required as string[]) : []);
  const rows: FieldRow[] = [];
  for (const [key, raw] of Object.entries(properties)) {
    const field = asSchema(raw);
    if (!field) continue;
    const name = prefix + key;
    const isRequired = parentRequired && required.has(key);
    rows.push({ name, type: typeName(field), required: isRequired, constraints: constraintsOf(field) });
    const inner = unwrapNullable(field).schema;
    if (asSchema(inner.properties)) rows.push(...schemaFields(inner, `${name}.`, isRequired));
    const items = asSchema(inner.items);
    if (items && asSchema(items.properties)) rows.push(...schemaFields(items, `${name}[].`, isRequired));
  }
  return rows;
}

/** strictObject bodies refuse unknown fields (422); the page says so. */
export const refusesOtherFields = (schema: JsonSchema) => unwrapNullable(schema).schema.additionalProperties === false;
