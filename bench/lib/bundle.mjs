// The Worker bundle as Cloudflare receives it: `wrangler deploy --dry-run
// --outdir` builds exactly what `wrangler deploy` would upload, then the
// upload's modules are measured the way wrangler reports them (raw bytes, and
// zlib gzip at its default level over all modules together).
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { projectRoot, wranglerCommand } from "./wrangler.mjs";

/** Issue 9: the Worker's upload, gzipped, stays under this. */
export const BUNDLE_GZIP_LIMIT_KIB = 200;

const MODULE_FILES = /\.(m?js|cjs|wasm)$/;

/**
 * Builds the upload into `outdir` (kept: the bench serves this very file) and
 * measures it.
 * @returns {Promise<{ rawKiB: number; gzipKiB: number; files: string[]; script: string }>}
 */
export async function buildBundle(outdir) {
  const [cmd, args] = wranglerCommand(["deploy", "--dry-run", "--outdir", outdir]);
  await promisify(execFile)(cmd, args, {
    cwd: projectRoot,
    env: { ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false" },
    maxBuffer: 16 * 1024 * 1024,
  });
  const files = (await readdir(outdir)).filter((f) => MODULE_FILES.test(f)).sort();
  if (!files.length) throw new Error(`wrangler wrote no module to ${outdir}`);
  const contents = await Promise.all(files.map((f) => readFile(join(outdir, f))));
  const all = Buffer.concat(contents);
  return { rawKiB: all.byteLength / 1024, gzipKiB: gzipSync(all).byteLength / 1024, files, script: join(outdir, files.includes("index.js") ? "index.js" : files[0]) };
}

/** buildBundle into a temporary directory that is removed afterwards. */
export async function measureBundle() {
  const outdir = await mkdtemp(join(tmpdir(), "portico-bundle-"));
  try {
    const { script: _script, ...size } = await buildBundle(outdir);
    return size;
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}
