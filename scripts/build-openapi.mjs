// Writes public/openapi/document.json: the OpenAPI document (F-51) built by
// src/openapi/document.ts from the route table and the very zod schemas the
// routes validate with. The Worker serves this file (src/openapi/served.ts)
// instead of carrying the route table and the builder (issue 9: bundle size).
// Part of `npm run assets`, so dev, test and deploy always build it afresh.
//
// document.ts is TypeScript with bundler-style imports; vitest's Vite server
// (already the test runner's) loads it in Node without a separate build.
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createViteServer } from "vitest/node";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

const server = await createViteServer({
  root,
  configFile: false,
  logLevel: "error",
  appType: "custom",
  server: { middlewareMode: true, hmr: false, watch: null },
  optimizeDeps: { noDiscovery: true, include: [] },
});
try {
  const { buildOpenApiDocument } = await server.ssrLoadModule("/src/openapi/document.ts");
  const { OPENAPI_ASSET_PATH } = await server.ssrLoadModule("/src/openapi/served.ts");
  // Title and server differ per deployment; the Worker sets them from its configuration when serving.
  const doc = buildOpenApiDocument({ appName: "Portico", origin: "https://portal.example.com" });
  const file = join(root, "public", OPENAPI_ASSET_PATH);
  mkdirSync(dirname(file), { recursive: true });
  // Via a rename: several `npm test` runs may build at once in a shared tree, and none may read half a file.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(doc)}\n`);
  renameSync(tmp, file);
  console.log(`OpenAPI document: ${Object.keys(doc.paths).length} paths → ${file.slice(root.length + 1)}`);
} finally {
  await server.close();
}
