// GET /api/docs (F-51): the API reference for people, public like the
// OpenAPI document it renders (the same cached document).
import { Hono } from "hono";
import type { AppEnv } from "../../env";
import { openApiDocument } from "../../openapi/document";
import { ApiDocsPage } from "../../../views/api-docs";

export const apiDocsPages = new Hono<AppEnv>();

apiDocsPages.get("/", (c) => c.render(<ApiDocsPage doc={openApiDocument(c.var.deps.config)} />, { title: "API reference" }));
