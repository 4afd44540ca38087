// npm run bench — issue 9: throughput and latency of the portal's main kinds
// of request beside a bare route, the CPU cost of the two sign-in steps, and
// the Worker bundle size, all from one run against a local `wrangler dev`.
//
//   npm run bench                      # 10 s per route (about 3 minutes in all)
//   npm run bench -- --seconds 3       # quicker, for trying changes
//
// Needs wrk (Debian: apt-get install -y wrk). Builds the deploy bundle, serves
// exactly that with `wrangler dev --no-bundle` on 127.0.0.1:8790 from a
// throwaway copy of the config, assets and state (lib/wrangler.mjs), seeds it
// through the API (lib/seed.mjs), prints the tables as markdown and writes the
// same figures to bench/results/latest.json (gitignored).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { arch, cpus, loadavg, platform, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { BUNDLE_GZIP_LIMIT_KIB, buildBundle } from "./lib/bundle.mjs";
import { seed, passwordStep, totpStep } from "./lib/seed.mjs";
import { findWrk, runWrk } from "./lib/wrk.mjs";
import { cpuReadable, projectRoot, startWorker, workerCpuMs } from "./lib/wrangler.mjs";

const { values: opt } = parseArgs({
  options: {
    seconds: { type: "string", default: process.env.BENCH_SECONDS ?? "10" },
    warmup: { type: "string", default: "2" },
    connections: { type: "string", default: "32" },
    threads: { type: "string", default: "2" },
    port: { type: "string", default: "8790" },
  },
});
const SECONDS = Number(opt.seconds);
const WARMUP = Number(opt.warmup);
const CONNECTIONS = Number(opt.connections);
const THREADS = Number(opt.threads);
const PORT = Number(opt.port);
const ORG_USERS = 50;
const REPORT_DAYS = 90;
/** Accounts with password + TOTP; each can pass the TOTP step up to 3 times per 30 s. */
const SIGN_IN_ACCOUNTS = 12;
const SIGN_INS_PER_ACCOUNT = 2;

const wrkVersion = findWrk();
if (!wrkVersion) {
  console.error("npm run bench needs wrk, the HTTP load generator. On Debian or Ubuntu:\n\n  apt-get install -y wrk\n");
  process.exit(1);
}

const log = (msg) => console.error(`[bench] ${msg}`);
const pkg = (name) => JSON.parse(readFileSync(join(projectRoot, "node_modules", name, "package.json"), "utf8")).version;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const startedAt = new Date();
const loadBefore = loadavg();

log("building the Worker bundle (wrangler deploy --dry-run)…");
const outdir = mkdtempSync(join(tmpdir(), "portico-bench-bundle-"));
const { script, ...bundle } = await buildBundle(outdir);

log(`starting wrangler dev on 127.0.0.1:${PORT} with that bundle…`);
const worker = await startWorker({ port: PORT, script, vars: { ENVIRONMENT: "development", APP_ORIGIN: `http://localhost:${PORT}` } }).catch((error) => {
  rmSync(outdir, { recursive: true, force: true });
  throw error;
});
const stopAndExit = async (code) => {
  await worker.stop();
  rmSync(outdir, { recursive: true, force: true });
  process.exit(code);
};
/** The Worker runtime's CPU ms so far (NaN where /proc cannot tell). */
const canReadCpu = cpuReadable();
const runtimeCpu = () => (canReadCpu ? workerCpuMs(worker).runtime : NaN);
// wrangler runs in its own process group (lib/wrangler.mjs), so it outlives this
// process unless stopped here: Ctrl-C, and `timeout` or a CI runner's SIGTERM.
process.on("SIGINT", () => stopAndExit(130));
process.on("SIGTERM", () => stopAndExit(143));

try {
  log(`seeding: an organization of ${ORG_USERS} users, ${SIGN_IN_ACCOUNTS} of them signed up with 2FA, a site with ${REPORT_DAYS} days of statistics…`);
  const s = await seed(worker, { orgUsers: ORG_USERS, signInAccounts: SIGN_IN_ACCOUNTS, reportDays: REPORT_DAYS });
  const cookie = { cookie: s.managerCookie };
  const reportRange = `from=${s.reportFrom}&to=${s.reportTo}`;

  /** Each row checks its answer once before the load, so a figure never describes an error page. */
  const routes = [
    { key: "bare", label: "bare Hono route `GET /healthz`", path: "/healthz", expect: (r, t) => r.status === 200 && t === "ok" },
    { key: "loginPage", label: "login page `GET /login`", path: "/login", target: 0.5, expect: (r, t) => r.status === 200 && t.includes("<form") },
    {
      // The floor the local D1 sets: one read and a redirect, no session, no rendering.
      key: "oneRead",
      label: "one D1 read: anonymous `GET /` (the first-run check, then a redirect)",
      path: "/",
      expect: (r) => r.status === 303 || r.status === 302,
    },
    { key: "me", signedInRead: true, label: "`GET /api/v1/me`", path: "/api/v1/me", headers: cookie, target: 0.5, expect: (r, t) => r.status === 200 && t.includes("manager@bench.example") },
    {
      key: "usersApi",
      signedInRead: true,
      label: `\`GET /api/v1/users\` (${ORG_USERS} users)`,
      path: `/api/v1/users?pageSize=${ORG_USERS}`,
      headers: cookie,
      target: 0.5,
      expect: (r, t) => r.status === 200 && JSON.parse(t).items.length === ORG_USERS,
    },
    {
      key: "usersPage",
      signedInRead: true,
      label: `users page \`GET /users\` (${ORG_USERS} users)`,
      path: `/users?pageSize=${ORG_USERS}`,
      headers: cookie,
      target: 0.5,
      expect: (r, t) => r.status === 200 && t.includes(`user${String(ORG_USERS - 1).padStart(2, "0")}@bench.example`),
    },
    {
      key: "reportApi",
      signedInRead: true,
      label: `site report \`GET /api/v1/reports/sites/:id\` (${REPORT_DAYS} days)`,
      path: `/api/v1/reports/sites/${s.siteId}?${reportRange}`,
      headers: cookie,
      target: 0.5,
      expect: (r, t) => r.status === 200 && JSON.parse(t).rows.length === REPORT_DAYS,
    },
    {
      key: "reportPage",
      signedInRead: true,
      label: `site report page \`GET /analytics/sites/:id/report\` (${REPORT_DAYS} days)`,
      path: `/analytics/sites/${s.siteId}/report?${reportRange}`,
      headers: cookie,
      target: 0.5,
      expect: (r, t) => r.status === 200 && t.includes(s.reportFrom),
    },
    {
      key: "collect",
      label: "`POST /api/v1/collect`",
      path: "/api/v1/collect",
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ siteKey: s.siteKey, type: "pageview" }),
      // One address would be refused after COLLECT_LIMIT hits (bench/wrk/request.lua).
      manySenders: true,
      target: 0.7,
      expect: (r) => r.status === 204,
    },
  ];

  for (const route of routes) {
    const res = await fetch(worker.base + route.path, { method: route.method ?? "GET", headers: route.headers, body: route.body, redirect: "manual" });
    const text = await res.text();
    if (!route.expect(res, text)) throw new Error(`${route.method ?? "GET"} ${route.path} answered ${res.status} unexpectedly:\n${text.slice(0, 500)}`);
  }

  const throughput = [];
  for (const route of routes) {
    const run = { url: worker.base + route.path, method: route.method, body: route.body, headers: route.headers, manySenders: route.manySenders, connections: CONNECTIONS, threads: THREADS };
    log(`wrk ${route.method ?? "GET"} ${route.path.split("?")[0]}: ${WARMUP} s warm-up, ${SECONDS} s measured…`);
    if (WARMUP > 0) await runWrk({ ...run, seconds: WARMUP });
    await sleep(500); // requests wrk abandoned at the end of the warm-up still finish on the server
    const cpuBefore = runtimeCpu();
    const r = await runWrk({ ...run, seconds: SECONDS });
    const cpuMs = runtimeCpu() - cpuBefore;
    await sleep(500);
    // A row where nothing completed, or anything failed, describes no working request.
    const failed = Object.values(r.errors).reduce((a, b) => a + b, 0) + (r.requests === 0 ? 1 : 0);
    throughput.push({ ...route, ...r, failed, cpuMsPerRequest: r.requests ? cpuMs / r.requests : NaN });
  }
  const bare = throughput[0];
  const floor = throughput.find((r) => r.key === "oneRead");
  for (const row of throughput) {
    row.ratio = row.rps / bare.rps;
    // Only the signed-in reads compare with the one-read row: collect's round trip is a write.
    row.cpuBeyondOneReadMs = row.signedInRead ? row.cpuMsPerRequest - floor.cpuMsPerRequest : NaN;
  }

  // ---- the two sign-in steps, sequentially, one request in flight at a time
  log("sign-in steps: sequential requests, CPU of the Worker's processes per request…");
  await sleep(500); // the last wrk run's queue drains
  const idleStart = runtimeCpu();
  await sleep(2000);
  const idleCpuPerMs = (runtimeCpu() - idleStart) / 2000;

  /** Wall time of the request, and the Worker's CPU for it (waitUntil work included, idle background subtracted). */
  async function measured(send) {
    const cpu0 = runtimeCpu();
    const t0 = performance.now();
    const result = await send();
    const ms = performance.now() - t0;
    await sleep(25); // let work after the response (waitUntil) finish inside this reading
    const cpuMs = runtimeCpu() - cpu0 - idleCpuPerMs * (performance.now() - t0);
    return { ms, cpuMs, result };
  }
  const summarize = (key, label, samples) => ({
    key,
    label,
    n: samples.length,
    p50Ms: median(samples.map((x) => x.ms)),
    cpuMsPerRequest: median(samples.map((x) => x.cpuMs)),
  });

  const bareSamples = [];
  for (let i = 0; i < 10; i++) await fetch(`${worker.base}/healthz`).then((r) => r.text());
  for (let i = 0; i < 40; i++) bareSamples.push(await measured(() => fetch(`${worker.base}/healthz`).then((r) => r.text())));

  const passwordSamples = [];
  const pending = [];
  for (let round = 0; round < SIGN_INS_PER_ACCOUNT; round++) {
    for (const account of s.signInPool) {
      const sample = await measured(() => passwordStep(s.api, account));
      passwordSamples.push(sample);
      pending.push({ account, challenge: sample.result });
    }
  }
  const totpSamples = [];
  for (const { account, challenge } of pending) {
    const code = await account.nextCode(); // may wait for the next 30 s step; outside the measurement
    totpSamples.push(await measured(() => totpStep(s.api, account, challenge, code)));
  }

  const steps = [
    summarize("bare", "bare route `GET /healthz`", bareSamples),
    summarize("password", "password step `POST /api/v1/auth/login` (PBKDF2-SHA256, 100,000 iterations)", passwordSamples),
    summarize("totp", "TOTP step `POST /api/v1/auth/totp`", totpSamples),
  ];
  for (const row of steps) {
    row.cpuRatio = row.cpuMsPerRequest / steps[0].cpuMsPerRequest;
    row.latencyRatio = row.p50Ms / steps[0].p50Ms;
  }

  // ---- report
  const cpu = cpus();
  const machine = {
    cpu: `${cpu[0]?.model ?? "unknown CPU"} × ${cpu.length}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${platform()}/${arch()}`,
    node: process.version,
    wrangler: pkg("wrangler"),
    wrk: wrkVersion,
    loadAverageBefore: loadBefore.map((x) => x.toFixed(2)).join(" "),
    loadAverageAfter: loadavg().map((x) => x.toFixed(2)).join(" "),
  };
  const fixed = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : "n/a");
  const verdict = (row) => (row.target === undefined ? "—" : `≥ ${row.target} ${row.ratio >= row.target ? "✓" : "✗"}`);
  /** Two decimals, or three where two would round a miss up to the target (0.497 is not 0.50). */
  const ratioText = (row) => {
    const two = fixed(row.ratio, 2);
    return row.target !== undefined && row.ratio < row.target && Number(two) >= row.target ? fixed(row.ratio, 3) : two;
  };
  const lines = [];
  lines.push(`Portico bench, ${startedAt.toISOString()}: ${machine.cpu}, ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}, wrangler ${machine.wrangler}, ${machine.wrk}.`);
  lines.push(`Load average before/after: ${machine.loadAverageBefore} / ${machine.loadAverageAfter}.`);
  lines.push("");
  lines.push(
    `Throughput: wrk -c ${CONNECTIONS} -t ${THREADS} -d ${SECONDS}s per row (after ${WARMUP} s of warm-up) against \`wrangler dev --no-bundle\` serving the deploy bundle on loopback. ` +
      "\"× bare route\" = the row's requests per second ÷ those of `GET /healthz` in this run. " +
      "\"Worker CPU\" = CPU time of the workerd running the Worker (with its local D1 and KV; without wrangler's dev proxy) per request. " +
      "\"beyond one D1 read\" (signed-in reads only) = the row's Worker CPU minus that of the one-read row: what the portal itself adds to a request that reads D1 once; " +
        "a difference of two figures that each vary by a few tenths of a millisecond between runs.",
  );
  lines.push("");
  lines.push("| request | req/s | × bare route | target | p50 ms | p99 ms | Worker CPU ms / req | beyond one D1 read, ms |");
  lines.push("| --- | ---: | ---: | :---: | ---: | ---: | ---: | ---: |");
  for (const r of throughput) {
    const errors = r.requests === 0 ? " (no request completed!)" : r.failed ? ` (${r.failed} failed!)` : "";
    const beyond = Number.isFinite(r.cpuBeyondOneReadMs) ? fixed(r.cpuBeyondOneReadMs, 2) : "—";
    lines.push(`| ${r.label}${errors} | ${fixed(r.rps, 0)} | ${ratioText(r)} | ${verdict(r)} | ${fixed(r.p50Ms)} | ${fixed(r.p99Ms)} | ${fixed(r.cpuMsPerRequest, 2)} | ${beyond} |`);
  }
  lines.push("");
  lines.push(
    `On this machine the local D1 runs in the Worker's own workerd, so a request that only reads D1 once already runs at ${fixed(floor.ratio, 2)}× the bare route; ` +
      "every signed-in row and collect reach D1 at least once. Collect also asks the rate limiter first, which miniflare simulates with a Durable Object over SQLite in the same workerd " +
      "(in production the binding's counters are local to the Cloudflare machine).",
  );
  lines.push("");
  lines.push(`Sign-in steps: one request at a time (medians of ${steps[1].n} password and ${steps[2].n} TOTP steps by ${SIGN_IN_ACCOUNTS} accounts, ${steps[0].n} bare requests).`);
  lines.push("\"CPU × bare route\" = Worker CPU for one step ÷ Worker CPU for one bare request, both measured one request at a time (medians).");
  lines.push("");
  lines.push("| request | Worker CPU ms / req | CPU × bare route | p50 ms | p50 × bare route |");
  lines.push("| --- | ---: | ---: | ---: | ---: |");
  for (const r of steps) lines.push(`| ${r.label} | ${fixed(r.cpuMsPerRequest, 2)} | ${fixed(r.cpuRatio)} | ${fixed(r.p50Ms)} | ${fixed(r.latencyRatio)} |`);
  lines.push("");
  const bundleOk = bundle.gzipKiB < BUNDLE_GZIP_LIMIT_KIB;
  lines.push(`Worker bundle (\`wrangler deploy --dry-run --outdir\`): ${fixed(bundle.rawKiB)} KiB, gzip ${fixed(bundle.gzipKiB)} KiB (target < ${BUNDLE_GZIP_LIMIT_KIB} KiB ${bundleOk ? "✓" : "✗"}).`);
  const missed = throughput.filter((r) => r.target !== undefined && r.ratio < r.target);
  const failedRows = throughput.filter((r) => r.failed);
  if (missed.length) lines.push(`\nBelow target: ${missed.map((r) => r.key).join(", ")}.`);
  if (failedRows.length) lines.push(`\nRequests that failed under load (the figures of these rows are not valid): ${failedRows.map((r) => `${r.key} ${JSON.stringify(r.errors)}`).join("; ")}.`);
  console.log(`\n${lines.join("\n")}\n`);

  const results = {
    startedAt: startedAt.toISOString(),
    machine,
    settings: { seconds: SECONDS, warmupSeconds: WARMUP, connections: CONNECTIONS, threads: THREADS, orgUsers: ORG_USERS, reportDays: REPORT_DAYS, signInAccounts: SIGN_IN_ACCOUNTS },
    throughput: throughput.map(({ key, label, path, method, target, rps, ratio, requests, p50Ms, p90Ms, p99Ms, cpuMsPerRequest, cpuBeyondOneReadMs, errors }) => ({
      key,
      label,
      request: `${method ?? "GET"} ${path.split("?")[0]}`,
      target: target ?? null,
      met: target === undefined ? null : ratio >= target,
      rps,
      ratio,
      requests,
      p50Ms,
      p90Ms,
      p99Ms,
      cpuMsPerRequest,
      cpuBeyondOneReadMs: Number.isFinite(cpuBeyondOneReadMs) ? cpuBeyondOneReadMs : null,
      errors,
    })),
    signInSteps: steps,
    bundle: { ...bundle, limitKiB: BUNDLE_GZIP_LIMIT_KIB, met: bundleOk },
    markdown: lines.join("\n"),
  };
  const dir = join(projectRoot, "bench", "results");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "latest.json"), `${JSON.stringify(results, null, 2)}\n`);
  log("wrote bench/results/latest.json");
  await stopAndExit(failedRows.length ? 1 : 0);
} catch (error) {
  console.error(error);
  console.error(`--- wrangler dev output (tail) ---\n${worker.log().slice(-3000)}`);
  await stopAndExit(1);
}
