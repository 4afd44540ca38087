// GET /api/docs (F-51): the API reference for people, public like the
// OpenAPI document it renders (the same cached document).
import { Hono } from "hono";
import type { AppEnv } from "../../env";
import { servedOpenApiDocument } from "../../openapi/served";
import { ApiDocsPage } from "../../../views/api-docs";

export const apiDocsPages = new Hono<AppEnv>();

apiDocsPages.get("/", async (c) => {
  const { doc } = await servedOpenApiDocument(c.env.ASSETS, c.var.deps.config);
  return c.render(<ApiDocsPage doc={doc} />, { title: "API reference" });
});
