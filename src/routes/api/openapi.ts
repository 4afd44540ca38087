// GET /api/v1/openapi.json (F-51): public, like the contract it describes;
// built and serialized once per isolate from the route table and the routes'
// zod schemas.
import { Hono } from "hono";
import type { AppEnv } from "../../env";
import { openApiDocument, type OpenApiDocument } from "../../openapi/document";

export const openapiApi = new Hono<AppEnv>();

const serialized = new WeakMap<OpenApiDocument, string>();

openapiApi.get("/", (c) => {
  const doc = openApiDocument(c.var.deps.config);
  let json = serialized.get(doc);
  if (json === undefined) serialized.set(doc, (json = JSON.stringify(doc)));
  // Changes only with a deployment, and is the same for every caller.
  return c.body(json, 200, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "public, max-age=300" });
});
