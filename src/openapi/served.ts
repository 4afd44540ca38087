// F-51 at run time. The document is built from the route table and the
// routes' zod schemas (document.ts) by scripts/build-openapi.mjs, which
// `npm run assets` runs before dev, test and deploy; it lands among the static
// assets and the Worker reads it through the ASSETS binding. The Worker so
// carries neither the route table nor the builder (issue 9: ~6 KiB of the
// gzipped bundle), and test/integration/openapi.test.ts checks that what is
// served equals buildOpenApiDocument() over the current routes.
//
// This module must not import document.ts or routes.ts other than as types.
import type { Config } from "../lib/config";
import type { OpenApiDocument } from "./document";

/**
 * Where the build writes the document, under public/. wrangler.toml sends
 * this path to the Worker first (run_worker_first), so the file is only read
 * through the binding and never served as is.
 */
export const OPENAPI_ASSET_PATH = "/openapi/document.json";

type Deployment = Pick<Config, "appName" | "origin">;

/** The parts of the document that differ per deployment: its title and server. */
export const forDeployment = (doc: OpenApiDocument, config: Deployment): OpenApiDocument => ({
  ...doc,
  info: { ...doc.info, title: `${config.appName} API` },
  servers: [{ url: config.origin }],
});

export interface ServedDocument {
  doc: OpenApiDocument;
  /** The document serialized once, as /api/v1/openapi.json answers it. */
  json: string;
}

// Fixed for the isolate's life; one entry per deployment configuration.
const cache = new Map<string, Promise<ServedDocument>>();

async function load(assets: Fetcher | undefined, config: Deployment): Promise<ServedDocument> {
  if (!assets) throw new Error("The ASSETS binding is missing: wrangler.toml [assets] needs binding = \"ASSETS\".");
  // The binding ignores the host; a URL is required all the same.
  const res = await assets.fetch(new Request(new URL(OPENAPI_ASSET_PATH, config.origin)));
  if (!res.ok) throw new Error(`The OpenAPI document asset ${OPENAPI_ASSET_PATH} is missing (${res.status}): run \`npm run assets\` before starting or deploying.`);
  const doc = forDeployment(await res.json<OpenApiDocument>(), config);
  return { doc, json: JSON.stringify(doc) };
}

export function servedOpenApiDocument(assets: Fetcher | undefined, config: Deployment): Promise<ServedDocument> {
  const key = `${config.origin}\n${config.appName}`;
  let entry = cache.get(key);
  if (!entry) {
    entry = load(assets, config);
    cache.set(key, entry);
    // A failed read is retried by the next request rather than cached.
    entry.catch(() => cache.delete(key));
  }
  return entry;
}
