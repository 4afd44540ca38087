// POST /api/v1/collect (F-45): public and cross-origin. Tracked pages call it
// with fetch() or navigator.sendBeacon(), which sends text/plain, so both
// content types are read as JSON. No credentials are involved: CORS is open
// to any origin (without Allow-Credentials), and the CSRF rules exempt this
// path (middleware/csrf.ts CROSS_ORIGIN_PATHS).
import { Hono } from "hono";
import type { AppEnv } from "../../env";
import { AppError, validationError } from "../../lib/errors";
import { fieldsFromZod } from "../../lib/validate";
import { collect, CollectInput } from "../../services/collect";

/** A hit is a few short strings; anything larger is not one. */
export const MAX_COLLECT_BODY_BYTES = 2048;
const READABLE_TYPES = /^(application\/json|text\/plain)\s*(;|$)/i;

export const collectApi = new Hono<AppEnv>();

// Every answer, errors included, may be read by the tracked page's script,
// Retry-After too (a 429's): CORS hides headers it does not safelist.
collectApi.use(async (c, next) => {
  await next();
  c.res.headers.set("Access-Control-Allow-Origin", "*");
  c.res.headers.set("Access-Control-Expose-Headers", "Retry-After");
  c.res.headers.set("Cross-Origin-Resource-Policy", "cross-origin");
});

collectApi.options("/", (c) =>
  c.body(null, 204, {
    "Access-Control-Allow-Methods": "POST",
    "Access-Control-Allow-Headers": "content-type",
    "Access-Control-Max-Age": "86400",
  }),
);

collectApi.post("/", async (c) => {
  if (!READABLE_TYPES.test(c.req.header("content-type") ?? "")) {
    throw new AppError("UNSUPPORTED_MEDIA_TYPE", "Send the hit as JSON with Content-Type application/json or text/plain.");
  }
  const text = await readCapped(c.req.raw, MAX_COLLECT_BODY_BYTES);
  if (text === null) throw validationError({ body: `The body is larger than ${MAX_COLLECT_BODY_BYTES} bytes.` });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw validationError({ body: "Send a JSON object." });
  }
  const parsed = CollectInput.safeParse(json);
  if (!parsed.success) throw validationError(fieldsFromZod(parsed.error));
  await collect(c.var.deps, parsed.data);
  return c.body(null, 204);
});

/** The body as text, or null as soon as it passes `max` bytes (the rest is never read). */
async function readCapped(request: Request, max: number): Promise<string | null> {
  const declared = Number(request.headers.get("content-length"));
  if (declared > max) return null;
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}
