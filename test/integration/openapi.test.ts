// F-51: /api/v1/openapi.json documents exactly the JSON endpoints the app
// registers, with bodies and queries from the routes' own zod schemas, and
// /api/docs shows the same to people. Both are public.
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { API_PREFIX, buildOpenApiDocument, inputSchema, type OpenApiDocument, type OpenApiOperation } from "../../src/openapi/document";
import { OPENAPI_ASSET_PATH } from "../../src/openapi/served";
import { CreateSiteInput } from "../../src/services/analytics-sites";
import { InviteUserInput } from "../../src/services/users";
import { api, makeUser, ORIGIN, signIn } from "../helpers/fixtures";

async function fetchDocument(): Promise<OpenApiDocument> {
  const res = await SELF.fetch(`${ORIGIN}/api/v1/openapi.json`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  return res.json();
}

/** "GET /api/v1/users/{id}" for every JSON route the Hono app registers (middleware is method ALL). */
function registeredEndpoints(): Set<string> {
  const endpoints = new Set<string>();
  for (const route of createApp().routes) {
    if (route.method === "ALL" || !route.path.startsWith(API_PREFIX)) continue;
    const path = route.path.replace(/:(\w+)(\{[^}]*\})?/g, "{$1}").replace(/(.)\/$/, "$1");
    endpoints.add(`${route.method} ${path}`);
  }
  return endpoints;
}

function documentedEndpoints(doc: OpenApiDocument): Set<string> {
  const endpoints = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths)) for (const method of Object.keys(item)) endpoints.add(`${method.toUpperCase()} ${path}`);
  return endpoints;
}

function operation(doc: OpenApiDocument, method: string, path: string): OpenApiOperation {
  const op = doc.paths[path]?.[method as keyof OpenApiDocument["paths"][string]];
  if (!op) throw new Error(`${method.toUpperCase()} ${path} is not documented`);
  return op;
}

const bodySchema = (op: OpenApiOperation) => op.requestBody?.content["application/json"]?.schema as { required?: string[]; properties?: Record<string, any> };

describe("GET /api/v1/openapi.json", () => {
  it("answers an OpenAPI 3.1 document without a session, with servers, security schemes and the shared shapes", async () => {
    const res = await SELF.fetch(`${ORIGIN}/api/v1/openapi.json`);
    expect(res.headers.get("cache-control")).toBe("public, max-age=300");
    const doc = await fetchDocument();
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info.title).toBe("Portico API");
    expect(doc.info.version).toBeTruthy();
    expect(doc.servers).toEqual([{ url: ORIGIN }]);
    expect(doc.components.securitySchemes.sessionCookie).toMatchObject({ type: "apiKey", in: "cookie", name: "__Host-session" });
    expect(doc.components.securitySchemes.bearerToken).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.components.schemas.Error).toMatchObject({ required: ["error"], properties: { error: { required: ["code", "message"] } } });
    expect(Object.keys((doc.components.schemas.Error as any).properties.error.properties)).toEqual(["code", "message", "fields"]);
    expect(doc.components.schemas.PagedList).toMatchObject({ required: ["items", "page"], properties: { page: { required: ["number", "size", "total"] } } });
  });

  it("is the document built from the current route table and zod schemas, with this deployment's origin and name", async () => {
    // The Worker serves the file scripts/build-openapi.mjs built (npm run assets); a stale one fails here.
    expect(await fetchDocument(), "run `npm run assets` to rebuild public/openapi/document.json").toEqual(
      buildOpenApiDocument({ appName: "Portico", origin: ORIGIN }),
    );
  });

  it("does not serve the built file under its own path (only through /api/v1/openapi.json)", async () => {
    const res = await SELF.fetch(`${ORIGIN}${OPENAPI_ASSET_PATH}`);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('"openapi"');
  });

  it("is the same document for a signed-in caller", async () => {
    const cookie = await signIn(await makeUser());
    const res = await api("/api/v1/openapi.json", { cookie });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(await fetchDocument());
  });

  it("documents every JSON endpoint the app registers under /api/v1", async () => {
    const documented = documentedEndpoints(await fetchDocument());
    const undocumented = [...registeredEndpoints()].filter((e) => !documented.has(e));
    expect(undocumented, "add these to src/openapi/routes.ts").toEqual([]);
  });

  it("documents no endpoint the app does not register", async () => {
    const registered = registeredEndpoints();
    const gone = [...documentedEndpoints(await fetchDocument())].filter((e) => !registered.has(e));
    expect(gone, "remove these from src/openapi/routes.ts, or register them").toEqual([]);
  });

  it("describes request bodies with the routes' own zod schemas", async () => {
    const doc = await fetchDocument();
    const invite = bodySchema(operation(doc, "post", "/api/v1/users"));
    expect(invite.required).toEqual(["email", "name", "role"]);
    expect(invite.properties?.role.enum).toEqual(["read_only", "regular", "partner_manager"]);
    expect(invite).toEqual(inputSchema(InviteUserInput));

    const site = bodySchema(operation(doc, "post", "/api/v1/analytics/sites"));
    expect(site.required).toEqual(["name", "kind"]);
    expect(site.properties?.kind.enum).toEqual(["site", "app"]);
    expect(site).toEqual(inputSchema(CreateSiteInput));

    const onboard = bodySchema(operation(doc, "post", "/api/v1/orgs"));
    expect(onboard.required).toEqual(expect.arrayContaining(["name", "kind", "manager"]));
    expect(onboard.properties?.manager.required).toEqual(["email", "name"]);

    const level = bodySchema(operation(doc, "put", "/api/v1/analytics/sites/{id}/permissions/{userId}"));
    expect([...level.properties?.level.enum].sort()).toEqual(["edit", "edit_publish", "manage", "none", "view"]);
  });

  it("lists query parameters with their defaults, and answers lists in the paged shape", async () => {
    const doc = await fetchDocument();
    const list = operation(doc, "get", "/api/v1/users");
    const pageSize = list.parameters?.find((p) => p.name === "pageSize");
    expect(pageSize).toMatchObject({ in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: 100, default: 25 } });
    expect(list.responses["200"]?.content?.["application/json"]?.schema).toEqual({ $ref: "#/components/schemas/PagedList" });
    expect(list.responses["200"]?.content?.["text/csv"]).toBeDefined();

    const site = operation(doc, "get", "/api/v1/analytics/sites/{id}");
    expect(site.parameters).toEqual([{ name: "id", in: "path", required: true, schema: { type: "string" } }]);
    expect(site.responses["200"]?.content?.["application/json"]?.schema).toEqual({ type: "object" });
  });

  it("states who may call each endpoint", async () => {
    const doc = await fetchDocument();
    expect(operation(doc, "get", "/api/v1/users").security).toEqual([{ sessionCookie: [] }]);
    expect(operation(doc, "post", "/api/v1/auth/login").security).toEqual([]);
    expect(operation(doc, "post", "/api/v1/collect").security).toEqual([]);
    expect(operation(doc, "get", "/api/v1/reports/sites/{id}").security).toEqual([{ bearerToken: [] }, { sessionCookie: [] }]);
    expect(operation(doc, "get", "/api/v1/openapi.json").security).toEqual([]);
  });

  it("gives every endpoint a success answer and the shared error answers that apply to it", async () => {
    const doc = await fetchDocument();
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const statuses = Object.keys(op!.responses).map(Number);
        expect(statuses.some((s) => s >= 200 && s < 300), `${method} ${path}`).toBe(true);
        if (op!["x-auth"] !== "public") expect(statuses, `${method} ${path}`).toContain(401);
        if (path.includes("{")) expect(statuses, `${method} ${path}`).toContain(404);
        if (op!.requestBody) expect(statuses, `${method} ${path}`).toContain(422);
      }
    }
    expect(operation(doc, "patch", "/api/v1/users/{id}").responses["422"]).toEqual({ $ref: "#/components/responses/ValidationFailed" });
  });
});

describe("GET /api/docs", () => {
  it("shows the endpoints by area, with their body fields and answers, without a session", async () => {
    const res = await SELF.fetch(`${ORIGIN}/api/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain("<h1>Portico API reference</h1>");
    expect(html).toContain("<code>/api/v1/users</code>");
    expect(html).toContain("<code>/api/v1/analytics/sites/{id}/permissions/{userId}</code>");
    expect(html).toMatch(/<h2 id="portal-users-title">Portal users<\/h2>/);
    expect(html).toContain('href="/api/v1/openapi.json"');
    // POST /api/v1/users: its fields, from InviteUserInput.
    const invite = html.slice(html.indexOf('id="postUsers"'), html.indexOf('id="postUsersBulkInvitePreview"'));
    expect(invite).toMatch(/<td><code>email<\/code><\/td><td>string<\/td><td>yes<\/td><td>at most 254 characters<\/td>/);
    expect(invite).toMatch(/<td><code>role<\/code><\/td><td>string<\/td><td>yes<\/td><td>one of &quot;read_only&quot;, &quot;regular&quot;, &quot;partner_manager&quot;<\/td>/);
    expect(invite).toMatch(/<td><code>orgId<\/code><\/td><td>string<\/td><td>no<\/td>/);
    expect(invite).toContain("<dt>201</dt>");
  });

  it("loads no external script and uses no inline style or script (CSP)", async () => {
    const res = await SELF.fetch(`${ORIGIN}/api/docs`);
    const html = await res.text();
    expect(html).not.toMatch(/\sstyle=/);
    expect(html).not.toMatch(/<style/);
    for (const tag of html.match(/<script[^>]*>/g) ?? []) {
      expect(tag).toMatch(/src="\/[^/]/);
      expect(tag).toMatch(/nonce="/);
    }
    expect(res.headers.get("content-security-policy")).toMatch(/script-src 'self' 'nonce-/);
  });
});
