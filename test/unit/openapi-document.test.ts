// F-51: the OpenAPI builder (shared answers, paged and CSV answers, security)
// and the docs page's reading of JSON schemas, on small route tables.
import * as z from "../../src/lib/zod";
import { describe, expect, it } from "vitest";
import { buildOpenApiDocument, inputSchema } from "../../src/openapi/document";
import { schemaFields, typeName, constraintsOf, refusesOtherFields } from "../../src/openapi/fields";
import { API_ROUTES, type ApiRoute } from "../../src/openapi/routes";

const config = { appName: "Portico", origin: "https://portal.example" };
const Body = z.strictObject({ name: z.string().check(z.trim(), z.minLength(1), z.maxLength(120)) });
const ListQuery = z.object({
  q: z.optional(z.string()),
  page: z._default(z.coerce.number().check(z.int(), z.minimum(1)), 1),
  pageSize: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(100)), 25),
});

const route = (r: Partial<ApiRoute> & Pick<ApiRoute, "method" | "path">): ApiRoute => ({ summary: "s", tag: "T", auth: "session", responses: { 200: "ok" }, ...r });

describe("buildOpenApiDocument", () => {
  it("adds 400, 401, 403, 404, 413, 415 and 422 to a signed-in state change with an id and a body", () => {
    const doc = buildOpenApiDocument(config, [route({ method: "patch", path: "/things/{id}", body: Body })]);
    const op = doc.paths["/api/v1/things/{id}"]!.patch!;
    expect(Object.keys(op.responses)).toEqual(["200", "400", "401", "403", "404", "413", "415", "422"]);
    expect(op.responses["401"]).toEqual({ $ref: "#/components/responses/Unauthenticated" });
    expect(op.parameters).toEqual([{ name: "id", in: "path", required: true, schema: { type: "string" } }]);
    expect(op.requestBody?.content["application/json"]?.schema).toEqual({
      type: "object",
      properties: { name: { type: "string", minLength: 1, maxLength: 120 } },
      required: ["name"],
      additionalProperties: false,
    });
  });

  it("adds no shared error answer to a public read without input", () => {
    const doc = buildOpenApiDocument(config, [route({ method: "get", path: "/status", auth: "public" })]);
    const op = doc.paths["/api/v1/status"]!.get!;
    expect(Object.keys(op.responses)).toEqual(["200"]);
    expect(op.security).toEqual([]);
  });

  it("keeps a route's own description of a shared status", () => {
    const doc = buildOpenApiDocument(config, [route({ method: "post", path: "/things", body: Body, responses: { 201: "made", 403: "Managers only." } })]);
    expect(doc.paths["/api/v1/things"]!.post!.responses["403"]?.description).toBe("Managers only.");
  });

  it("answers the paged shape when the query takes page and pageSize, and CSV when format offers csv", () => {
    const doc = buildOpenApiDocument(config, [
      route({ method: "get", path: "/things", query: ListQuery }),
      route({ method: "get", path: "/export", query: z.object({ format: z.optional(z.enum(["json", "csv"])) }) }),
      route({ method: "get", path: "/one", query: z.object({ q: z.optional(z.string()) }) }),
    ]);
    const things = doc.paths["/api/v1/things"]!.get!.responses["200"]!;
    expect(things.content).toEqual({ "application/json": { schema: { $ref: "#/components/schemas/PagedList" } } });
    expect(doc.paths["/api/v1/things"]!.get!.parameters?.map((p) => p.name)).toEqual(["q", "page", "pageSize"]);
    expect(Object.keys(doc.paths["/api/v1/export"]!.get!.responses["200"]!.content!)).toEqual(["application/json", "text/csv"]);
    expect(doc.paths["/api/v1/one"]!.get!.responses["200"]!.content).toEqual({ "application/json": { schema: { type: "object" } } });
  });

  it("leaves the Origin rule's 403 and 415, and the JSON parser's 400, off the cross-origin collection path", () => {
    const doc = buildOpenApiDocument(config, [route({ method: "post", path: "/collect", auth: "public", body: Body, responses: { 204: "done" } })]);
    expect(Object.keys(doc.paths["/api/v1/collect"]!.post!.responses)).toEqual(["204", "413", "422"]);
    expect(doc.paths["/api/v1/collect"]!.post!.responses["204"]).toEqual({ description: "done" });
  });

  it("refuses a route table that lists an endpoint twice", () => {
    expect(() => buildOpenApiDocument(config, [route({ method: "get", path: "/a" }), route({ method: "get", path: "/a" })])).toThrow(/twice/);
  });

  it("gives every operation of the real table a unique operationId", () => {
    const doc = buildOpenApiDocument(config);
    const ids = Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => op!.operationId));
    expect(ids.length).toBe(API_ROUTES.length);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("drops the safe-integer bounds .int() adds, and keeps real bounds and defaults", () => {
    expect(inputSchema(z.object({ n: z._default(z.coerce.number().check(z.int(), z.minimum(1)), 1) }))).toEqual({
      type: "object",
      properties: { n: { type: "integer", minimum: 1, default: 1 } },
    });
  });
});

describe("schemaFields", () => {
  const Onboard = z.strictObject({
    name: z.string().check(z.minLength(1), z.maxLength(120)),
    channelPartner: z.optional(z.boolean()),
    vatId: z.optional(z.nullable(z.string().check(z.maxLength(32)))),
    manager: z.strictObject({ email: z.string().check(z.maxLength(254)), name: z.string().check(z.minLength(1)) }),
    contact: z.optional(z.object({ phone: z.string() })),
    siteIds: z.array(z.string().check(z.minLength(1), z.maxLength(40))).check(z.minLength(1), z.maxLength(90)),
    ok: z.literal(true),
  });

  it("flattens nested objects; a nested field is required only when its object is", () => {
    const rows = schemaFields(inputSchema(Onboard));
    expect(rows.map((r) => [r.name, r.type, r.required])).toEqual([
      ["name", "string", true],
      ["channelPartner", "boolean", false],
      ["vatId", "string or null", false],
      ["manager", "object", true],
      ["manager.email", "string", true],
      ["manager.name", "string", true],
      ["contact", "object", false],
      ["contact.phone", "string", false],
      ["siteIds", "array of string", true],
      ["ok", "boolean", true],
    ]);
    expect(refusesOtherFields(inputSchema(Onboard))).toBe(true);
  });

  it("puts constraints into words", () => {
    const rows = Object.fromEntries(schemaFields(inputSchema(Onboard)).map((r) => [r.name, r.constraints]));
    expect(rows.name).toEqual(["1–120 characters"]);
    expect(rows.vatId).toEqual(["at most 32 characters"]);
    expect(rows.siteIds).toEqual(["1–90 items", "each: 1–40 characters"]);
    expect(rows.ok).toEqual(["exactly true"]);
    expect(constraintsOf(inputSchema(z._default(z.enum(["a", "b"]), "a")))).toEqual(['one of "a", "b"', 'default "a"']);
    expect(constraintsOf(inputSchema(z.iso.date()))).toEqual(["format date"]);
    expect(typeName(inputSchema(z.union([z.string(), z.number()])))).toBe("string or number");
  });
});
