// Copies htmx from its npm package into public/ so the portal serves it
// itself: no CDN, and the version is the one package-lock.json pins.
import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);
const htmxDir = dirname(require.resolve("htmx.org/package.json"));
mkdirSync("public/vendor", { recursive: true });
copyFileSync(join(htmxDir, "dist/htmx.min.js"), "public/vendor/htmx.min.js");
