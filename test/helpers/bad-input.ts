// Bad input derived from a route's own zod schema (through the same JSON
// Schema the OpenAPI document shows), so the error-contract sweep covers an
// endpoint added tomorrow without anyone writing its payloads by hand.
import { API_PREFIX, inputSchema } from "../../src/openapi/document";
import { API_ROUTES, type ApiRoute } from "../../src/openapi/routes";
import type { RouteEntry } from "./route-table";

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
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
  minItems?: number;
}

/** No sane field takes this many characters (bulk-invite's CSV, the longest, takes 100,000). */
export const OVERSIZE = 100_001;
/** The most any single string field may declare. */
export const MAX_DECLARED_LENGTH = 100_000;

export const schemaOf = (schema: unknown) => inputSchema(schema as Parameters<typeof inputSchema>[0]) as JsonSchema;

type JsonType = "string" | "number" | "boolean" | "array" | "object" | "null";

const typeOfValue = (v: unknown): JsonType =>
  v === null ? "null" : Array.isArray(v) ? "array" : typeof v === "number" ? "number" : typeof v === "boolean" ? "boolean" : typeof v === "object" ? "object" : "string";

/** The JSON types a schema accepts; empty when it accepts anything. */
export function jsonTypes(schema: JsonSchema): Set<JsonType> {
  const out = new Set<JsonType>();
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches) for (const b of branches) for (const t of jsonTypes(b)) out.add(t);
  const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
  for (const t of types) out.add(t === "integer" ? "number" : (t as JsonType));
  if (schema.const !== undefined) out.add(typeOfValue(schema.const));
  for (const v of schema.enum ?? []) out.add(typeOfValue(v));
  return out;
}

/** The branches of a union, or the schema itself. */
const branchesOf = (schema: JsonSchema): JsonSchema[] => schema.anyOf ?? schema.oneOf ?? [schema];

// The natural mistake first (a number where text goes, an object where a
// number goes, text where a flag or a list goes), then anything else the field refuses.
const PREFERRED_WRONG: Record<JsonType, unknown> = {
  string: 12345,
  number: { not: "a number" },
  boolean: "yes",
  array: "not-a-list",
  object: "not-an-object",
  null: "not-null",
};
const ANY_WRONG: unknown[] = [12345, "text", true, { not: "expected" }, ["not", "expected"]];

/** A value whose JSON type the schema refuses, or undefined when it takes any type. */
export function wrongValueFor(schema: JsonSchema): unknown {
  const accepted = jsonTypes(schema);
  if (accepted.size === 0) return undefined;
  const primary = [...accepted].find((t) => t !== "null") ?? "null";
  return [PREFERRED_WRONG[primary], ...ANY_WRONG].find((v) => !accepted.has(typeOfValue(v)));
}

export const describeValue = (v: unknown) => {
  const t = typeOfValue(v);
  return t === "array" || t === "object" ? `an ${t}` : `a ${t}`;
};

/**
 * A value of the right shape, as far as the schema tells (patterns and
 * refinements it cannot say are not guessed): enough that the case's one
 * deliberate mistake is what the validator reports.
 */
export function sampleFor(schema: JsonSchema): unknown {
  if (schema.const !== undefined) return schema.const;
  if (schema.enum?.length) return schema.enum[0];
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches) return sampleFor(branches.find((b) => [...jsonTypes(b)].some((t) => t !== "null")) ?? branches[0] ?? {});
  const [type] = jsonTypes(schema);
  switch (type) {
    case "string":
      if (schema.format === "date") return "2024-01-31";
      if (schema.format === "date-time") return "2024-01-31T12:00:00Z";
      return "sample".padEnd(schema.minLength ?? 0, "x").slice(0, schema.maxLength ?? 6);
    case "number":
      return schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : (schema.minimum ?? 1);
    case "boolean":
      return true;
    case "array":
      return Array.from({ length: schema.minItems ?? 0 }, () => sampleFor(schema.items ?? {}));
    case "object": {
      const out: Record<string, unknown> = {};
      for (const key of schema.required ?? []) out[key] = sampleFor(schema.properties?.[key] ?? {});
      return out;
    }
    default:
      return null;
  }
}

export interface StringField {
  /** Where the string sits, e.g. ["manager","email"] or ["siteIds",0]. */
  path: (string | number)[];
  schema: JsonSchema;
}

/** Every string in a body: fields, fields of nested objects, and items of lists. */
export function stringFields(schema: JsonSchema, path: (string | number)[] = []): StringField[] {
  const out: StringField[] = [];
  for (const branch of branchesOf(schema)) {
    const types = jsonTypes(branch);
    if (types.has("string")) out.push({ path, schema: branch });
    if (types.has("object")) for (const [key, prop] of Object.entries(branch.properties ?? {})) out.push(...stringFields(prop, [...path, key]));
    if (types.has("array") && branch.items) out.push(...stringFields(branch.items, [...path, 0]));
  }
  return out;
}

/** Limited by a maximum length, a closed set of values, or a fixed-length format. */
export const isBounded = (s: JsonSchema) =>
  (s.maxLength !== undefined && s.maxLength <= MAX_DECLARED_LENGTH) || s.const !== undefined || (s.enum?.length ?? 0) > 0 || s.format === "date";

export const dotted = (path: (string | number)[]) => path.join(".");

/** A copy of `base` with `value` at `path`, creating objects and lists on the way. */
export function withValueAt(base: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  const container: any = typeof head === "number" ? (Array.isArray(base) ? [...base] : []) : base && typeof base === "object" && !Array.isArray(base) ? { ...base } : {};
  container[head!] = withValueAt(container[head!], rest, value);
  return container;
}

// ---------------------------------------------------------------- routes

export interface SweptRoute {
  route: ApiRoute;
  method: string;
  /** "/api/v1/users/{id}". */
  template: string;
  /** "POST /api/v1/users/{id}", the name tests use. */
  name: string;
  body?: JsonSchema;
  query?: JsonSchema;
}

export const sweptRoutes = (): SweptRoute[] =>
  API_ROUTES.map((route) => {
    const template = `${API_PREFIX}${route.path}`;
    const method = route.method.toUpperCase();
    return {
      route,
      method,
      template,
      name: `${method} ${template}`,
      body: route.body ? schemaOf(route.body) : undefined,
      query: route.query ? schemaOf(route.query) : undefined,
    };
  });

/** Hono's "/api/v1/users/:id" as the route table writes it: "/api/v1/users/{id}". */
export const templateOf = (entry: RouteEntry) => entry.path.replace(/:(\w+)(\{[^}]*\})?/g, "{$1}").replace(/(.)\/$/, "$1");

export const pathParams = (template: string) => [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);

/** The template with every path parameter set to `value` (URL-encoded). */
export const fillPath = (template: string, value: string) => template.replace(/\{\w+\}/g, encodeURIComponent(value));

/** A query string from values; a list repeats the key (which is how a client sends a list, and how a scalar field gets one). */
export function queryString(values: Record<string, string | string[]>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) for (const v of Array.isArray(value) ? value : [value]) params.append(key, v);
  const text = params.toString();
  return text ? `?${text}` : "";
}

export interface QueryCase {
  title: string;
  values: Record<string, string | string[]>;
  field: string;
}

/** Wrong query values for each field: not a number, out of range, not a choice, too long, not a date, repeated. */
export function badQueryValues(schema: JsonSchema): QueryCase[] {
  const out: QueryCase[] = [];
  for (const [field, prop] of Object.entries(schema.properties ?? {})) {
    const types = jsonTypes(prop);
    const strings = branchesOf(prop).filter((b) => jsonTypes(b).has("string"));
    if (types.has("number")) {
      out.push({ title: `${field}=abc`, values: { [field]: "abc" }, field });
      if (prop.minimum !== undefined) out.push({ title: `${field}=${prop.minimum - 6}`, values: { [field]: String(prop.minimum - 6) }, field });
      if (prop.maximum !== undefined) out.push({ title: `${field}=${prop.maximum + 1}`, values: { [field]: String(prop.maximum + 1) }, field });
    }
    if (prop.enum?.length) out.push({ title: `${field}=not-a-choice`, values: { [field]: "not-a-choice" }, field });
    for (const s of strings) {
      if (s.format === "date") out.push({ title: `${field}=31/01/2024`, values: { [field]: "31/01/2024" }, field });
      if (s.maxLength !== undefined) out.push({ title: `${field} of ${s.maxLength + 1} characters`, values: { [field]: "x".repeat(s.maxLength + 1) }, field });
    }
    if (!types.has("array")) out.push({ title: `${field} given twice`, values: { [field]: [String(sampleFor(prop) ?? "1"), String(sampleFor(prop) ?? "1")] }, field });
  }
  return out;
}
