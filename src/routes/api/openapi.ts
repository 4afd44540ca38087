// GET /api/v1/openapi.json (F-51): public, like the contract it describes;
// the document built from the route table and the routes' zod schemas at
// build time, read once per isolate (openapi/served.ts).
import { Hono } from "hono";
import type { AppEnv } from "../../env";
import { servedOpenApiDocument } from "../../openapi/served";

export const openapiApi = new Hono<AppEnv>();

openapiApi.get("/", async (c) => {
  const { json } = await servedOpenApiDocument(c.env.ASSETS, c.var.deps.config);
  // Changes only with a deployment, and is the same for every caller.
  return c.body(json, 200, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "public, max-age=300" });
});
