// wrk (Debian's package) with bench/wrk/request.lua: one request shape per run.
import { execFile, spawnSync } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { projectRoot } from "./wrangler.mjs";

const SCRIPT = join(projectRoot, "bench", "wrk", "request.lua");

/** The wrk binary, or null with the reason printed by the caller. */
export function findWrk() {
  const probe = spawnSync("wrk", ["-v"], { encoding: "utf8" });
  if (probe.error) return null;
  return /wrk\s+\S+/.exec(`${probe.stdout}${probe.stderr}`)?.[0] ?? "wrk";
}

/**
 * @param {{ url: string; method?: string; body?: string; headers?: Record<string, string>;
 *           manySenders?: boolean; connections: number; threads: number; seconds: number }} run
 * @returns {Promise<{ rps: number; requests: number; p50Ms: number; p90Ms: number; p99Ms: number; errors: Record<string, number> }>}
 */
export async function runWrk(run) {
  const args = ["-c", String(run.connections), "-t", String(run.threads), "-d", `${run.seconds}s`, "--timeout", "10s", "--latency", "-s", SCRIPT, run.url];
  const env = {
    ...process.env,
    BENCH_METHOD: run.method ?? "GET",
    BENCH_BODY: run.body ?? "",
    BENCH_MANY_SENDERS: run.manySenders ? "1" : "0",
    BENCH_HEADERS: Object.entries(run.headers ?? {})
      .map(([k, v]) => `${k}: ${v}`)
      .join("\n"),
  };
  const { stdout } = await promisify(execFile)("wrk", args, { env, maxBuffer: 4 * 1024 * 1024 });
  const line = stdout.split("\n").find((l) => l.startsWith("BENCH_JSON "));
  if (!line) throw new Error(`wrk printed no result:\n${stdout}`);
  const r = JSON.parse(line.slice("BENCH_JSON ".length));
  return {
    rps: r.requests / (r.duration_us / 1e6),
    requests: r.requests,
    p50Ms: r.p50_us / 1000,
    p90Ms: r.p90_us / 1000,
    p99Ms: r.p99_us / 1000,
    errors: r.errors,
  };
}
