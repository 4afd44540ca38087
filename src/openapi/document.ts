// F-51: the OpenAPI 3.1 document, built from the route table (routes.ts) and
// the zod schemas the routes validate with. OpenAPI 3.1 schema objects are
// JSON Schema 2020-12, which is what z.toJSONSchema emits for that target.
// Built at build time (scripts/build-openapi.mjs) and in tests; the Worker
// serves the built file (served.ts) and does not import this module.
import * as z from "../lib/zod";
import type { Config } from "../lib/config";
import { SESSION_COOKIE } from "../lib/cookies";
import { CROSS_ORIGIN_PATHS } from "../middleware/csrf";
import { API_ROUTES, type ApiRoute } from "./routes";

export const API_PREFIX = "/api/v1";

export type JsonSchema = { [key: string]: unknown };

export interface OpenApiParameter {
  name: string;
  in: "path" | "query";
  required: boolean;
  schema: JsonSchema;
}

export interface OpenApiResponse {
  description: string;
  content?: Record<string, { schema: JsonSchema }>;
  $ref?: string;
}

export interface OpenApiOperation {
  operationId: string;
  summary: string;
  tags: string[];
  security: Record<string, string[]>[];
  parameters?: OpenApiParameter[];
  requestBody?: { required: true; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, OpenApiResponse>;
  /** Which of the route table's auth kinds applies; shown by the docs page. */
  "x-auth": ApiRoute["auth"];
}

export interface OpenApiDocument {
  openapi: "3.1.0";
  info: { title: string; version: string; description: string };
  servers: { url: string }[];
  tags: { name: string }[];
  paths: Record<string, Partial<Record<ApiRoute["method"], OpenApiOperation>>>;
  components: {
    securitySchemes: Record<string, JsonSchema>;
    schemas: Record<string, JsonSchema>;
    responses: Record<string, OpenApiResponse>;
  };
}

const SECURITY: Record<ApiRoute["auth"], Record<string, string[]>[]> = {
  public: [],
  session: [{ sessionCookie: [] }],
  // Either one: a token for scripts, the session for the pages' downloads.
  bearer: [{ bearerToken: [] }, { sessionCookie: [] }],
};

const ERROR_SCHEMA: JsonSchema = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      properties: {
        code: { type: "string", description: "snake_case, e.g. not_found or validation_failed." },
        message: { type: "string", description: "For people; may change." },
        fields: { type: "object", additionalProperties: { type: "string" }, description: "Field path (dotted) → what is wrong with it; with validation_failed." },
      },
    },
  },
};

const PAGED_LIST_SCHEMA: JsonSchema = {
  type: "object",
  required: ["items", "page"],
  properties: {
    items: { type: "array", items: { type: "object" } },
    page: {
      type: "object",
      required: ["number", "size", "total"],
      properties: { number: { type: "integer", minimum: 1 }, size: { type: "integer", minimum: 1 }, total: { type: "integer", minimum: 0 } },
    },
  },
};

const errorResponse = (description: string): OpenApiResponse => ({ description, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } });

/** The answers many endpoints share, referenced rather than repeated. */
const SHARED_RESPONSES = {
  Unauthenticated: errorResponse("`unauthenticated`: no valid session (or token)."),
  Forbidden: errorResponse("`forbidden`: refused, e.g. a state change from a foreign Origin."),
  NotFound: errorResponse("`not_found`: no such record, or not visible to the caller (never reveals another organization's data)."),
  BadRequest: errorResponse("`bad_request`: the body is not readable JSON."),
  PayloadTooLarge: errorResponse("`payload_too_large`: the body is over 1 MB."),
  UnsupportedMediaType: errorResponse("`unsupported_media_type`: send JSON with Content-Type: application/json."),
  ValidationFailed: errorResponse("`validation_failed`: `fields` says which input is wrong and why."),
} satisfies Record<string, OpenApiResponse>;

const STATE_CHANGING = new Set(["post", "put", "patch", "delete"]);

/** zod → JSON Schema 2020-12, as a client must send it (defaults and coercions on the input side). */
export function inputSchema(schema: z.ZodMiniType): JsonSchema {
  const json = z.toJSONSchema(schema, {
    target: "draft-2020-12",
    io: "input",
    override: ({ jsonSchema }) => {
      // .int() adds the safe-integer range: true, but noise to a reader.
      if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
      if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
    },
  }) as JsonSchema;
  delete json.$schema;
  return json;
}

const propertiesOf = (schema: JsonSchema | undefined) => (schema?.properties ?? {}) as Record<string, JsonSchema>;

/** A list that takes page and pageSize answers the paged shape (api.md conventions). */
const isPaged = (query: JsonSchema | undefined) => "page" in propertiesOf(query) && "pageSize" in propertiesOf(query);

const offersCsv = (query: JsonSchema | undefined) => {
  const format = propertiesOf(query).format;
  return Array.isArray(format?.enum) && format.enum.includes("csv");
};

const pathParams = (path: string) => [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);

/** post /users/{id}/reset-2fa → postUsersIdReset2fa: unique because method and path are. */
function operationId(route: ApiRoute) {
  const words = `${route.method} ${route.path}`.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return words.map((w, i) => (i === 0 ? w.toLowerCase() : w[0]!.toUpperCase() + w.slice(1))).join("");
}

function successResponse(description: string, status: number, paged: boolean, csv: boolean): OpenApiResponse {
  if (status === 204) return { description };
  const json = paged ? { $ref: "#/components/schemas/PagedList" } : { type: "object" };
  const content: Record<string, { schema: JsonSchema }> = { "application/json": { schema: json } };
  if (csv) content["text/csv"] = { schema: { type: "string" } };
  return { description, content };
}

function responsesOf(route: ApiRoute, fullPath: string, query: JsonSchema | undefined): Record<string, OpenApiResponse> {
  const paged = isPaged(query);
  const csv = route.csv ?? offersCsv(query);
  const responses: Record<string, OpenApiResponse> = {};
  for (const [status, description] of Object.entries(route.responses)) {
    const code = Number(status);
    responses[status] = code < 300 ? successResponse(description, code, paged, csv) : errorResponse(description);
  }
  const shared = (status: number, name: keyof typeof SHARED_RESPONSES) => {
    responses[status] ??= { $ref: `#/components/responses/${name}` } as OpenApiResponse;
  };
  if (route.auth !== "public") shared(401, "Unauthenticated");
  // middleware/csrf.ts: every state change needs the portal's own Origin (or none) and JSON, except the cross-origin paths.
  if (STATE_CHANGING.has(route.method) && !CROSS_ORIGIN_PATHS.has(fullPath)) {
    shared(403, "Forbidden");
    shared(415, "UnsupportedMediaType");
  }
  if (pathParams(route.path).length) shared(404, "NotFound");
  // app.ts: every API body passes bodyLimit; jsonBody() parses JSON before validation (collect reads its own).
  if (route.body) shared(413, "PayloadTooLarge");
  if (route.body && !CROSS_ORIGIN_PATHS.has(fullPath)) shared(400, "BadRequest");
  if (route.body || route.query) shared(422, "ValidationFailed");
  return Object.fromEntries(Object.entries(responses).sort(([a], [b]) => Number(a) - Number(b)));
}

function operationOf(route: ApiRoute): OpenApiOperation {
  const fullPath = API_PREFIX + route.path;
  const query = route.query ? inputSchema(route.query) : undefined;
  const required = new Set((query?.required as string[] | undefined) ?? []);
  const parameters: OpenApiParameter[] = [
    ...pathParams(route.path).map((name): OpenApiParameter => ({ name, in: "path", required: true, schema: { type: "string" } })),
    ...Object.entries(propertiesOf(query)).map(([name, schema]): OpenApiParameter => ({ name, in: "query", required: required.has(name), schema })),
  ];
  return {
    operationId: operationId(route),
    summary: route.summary,
    tags: [route.tag],
    security: SECURITY[route.auth],
    ...(parameters.length ? { parameters } : {}),
    ...(route.body ? { requestBody: { required: true, content: { "application/json": { schema: inputSchema(route.body) } } } } : {}),
    responses: responsesOf(route, fullPath, query),
    "x-auth": route.auth,
  };
}

export function buildOpenApiDocument(config: Pick<Config, "appName" | "origin">, routes: readonly ApiRoute[] = API_ROUTES): OpenApiDocument {
  const paths: OpenApiDocument["paths"] = {};
  for (const route of routes) {
    const item = (paths[API_PREFIX + route.path] ??= {});
    if (item[route.method]) throw new Error(`The route table lists ${route.method.toUpperCase()} ${route.path} twice.`);
    item[route.method] = operationOf(route);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: `${config.appName} API`,
      version: "1",
      description: [
        "JSON in and out (`Content-Type: application/json`); IDs are strings; times are ISO-8601 UTC strings.",
        "Errors answer `{\"error\":{\"code\",\"message\",\"fields\"}}`. A request whose Origin is not the portal's own is refused for every state change.",
        "Lists take `?page=&pageSize=` and answer `{\"items\":[...],\"page\":{\"number\",\"size\",\"total\"}}`.",
      ].join("\n\n"),
    },
    servers: [{ url: config.origin }],
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        sessionCookie: { type: "apiKey", in: "cookie", name: SESSION_COOKIE, description: "Set by POST /api/v1/auth/totp after a completed sign-in." },
        bearerToken: { type: "http", scheme: "bearer", description: "A personal API token (F-52); accepted on /api/v1/reports only." },
      },
      schemas: { Error: ERROR_SCHEMA, PagedList: PAGED_LIST_SCHEMA },
      responses: SHARED_RESPONSES,
    },
  };
}
