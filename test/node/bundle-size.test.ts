// Issue 9: the Worker's upload stays under 200 KiB gzipped. Built exactly as
// `wrangler deploy` would upload it (wrangler deploy --dry-run --outdir);
// `npm run bench` prints the same figure.
import { expect, it } from "vitest";
import { BUNDLE_GZIP_LIMIT_KIB, measureBundle } from "../../bench/lib/bundle.mjs";

it(`the deploy bundle is under ${BUNDLE_GZIP_LIMIT_KIB} KiB gzipped`, { timeout: 180_000 }, async () => {
  const { rawKiB, gzipKiB, files } = await measureBundle();
  expect(files).toContain("index.js");
  expect(rawKiB).toBeGreaterThan(gzipKiB);
  expect(gzipKiB, `bundle: ${rawKiB.toFixed(1)} KiB, gzip ${gzipKiB.toFixed(1)} KiB`).toBeLessThan(BUNDLE_GZIP_LIMIT_KIB);
});
