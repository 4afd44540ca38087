// Measures the inactivity sweep (F-70) through the scheduled handler of a local
// `wrangler dev`, at 10,000 and 100,000 active accounts.
// Usage: npm run bench:sweep
//
// For each size: a throwaway state dir gets the migrations and the accounts
// (one INSERT … SELECT over a recursive CTE, run by `wrangler d1 execute
// --local`), then `wrangler dev` starts on it and
// /cdn-cgi/handler/scheduled?cron=0+3+*+*+*&time=<ms> runs the cron as of a
// fixed moment. Last activity is spread over 0–399 days, so ~62% get a
// reminder; every 10th account was reminded 35 days ago and is deactivated.
// Printed: wall time of the whole scheduled run, the sweep's own counts and
// D1 statements (from the cron's log line), and the 100k/10k time ratio.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const PORT = 8798;
const BASE = `http://127.0.0.1:${PORT}`;
const DAY = 86_400_000;
const NOW = Date.UTC(2030, 0, 15, 3, 0, 0);
const wrangler = join("node_modules", ".bin", "wrangler");
const quiet = { stdio: "ignore", env: { ...process.env, CI: "1" } };

function seedSql(n) {
  return `
INSERT INTO organizations (id, name, kind, channel_partner, status, created_at, updated_at)
  VALUES ('bench-org', 'Bench', 'partner', 1, 'active', ${NOW - 900 * DAY}, ${NOW - 900 * DAY});
INSERT INTO users (id, org_id, email, name, role, status, sessions_valid_after, purchaser, analytics_access,
                   analytics_admin, analytics_owner, last_login_at, inactivity_reminded_at, created_at, updated_at)
WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ${n})
SELECT 'u' || i, 'bench-org', 'user' || i || '@bench.example', 'User ' || i, 'regular', 'active', 0, 0, 'Y', 0, 0,
       CASE WHEN i % 10 = 0 THEN ${NOW} - (200 + (i * 7919) % 200) * ${DAY}
            ELSE ${NOW} - ((i * 7919) % 400) * ${DAY} - 3600000 END,
       CASE WHEN i % 10 = 0 THEN ${NOW - 35 * DAY} ELSE NULL END,
       ${NOW - 800 * DAY}, ${NOW - 800 * DAY}
FROM seq;`;
}

async function waitUp() {
  for (let i = 0; i < 120; i++) {
    try { if ((await fetch(`${BASE}/healthz`)).ok) return; } catch {}
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("wrangler dev did not start");
}

async function run(n) {
  const state = mkdtempSync(join(tmpdir(), "portico-sweep-"));
  const sqlFile = join(state, "seed.sql");
  writeFileSync(sqlFile, seedSql(n));
  execFileSync(wrangler, ["d1", "migrations", "apply", "portico", "--local", "--persist-to", state], quiet);
  execFileSync(wrangler, ["d1", "execute", "portico", "--local", "--persist-to", state, "--file", sqlFile], quiet);
  const worker = spawn(
    wrangler,
    ["dev", "--port", String(PORT), "--ip", "127.0.0.1", "--persist-to", state, "--var", "ENVIRONMENT:development", "--var", `APP_ORIGIN:${BASE}`],
    { stdio: ["ignore", "pipe", "pipe"], detached: true, env: { ...process.env, CI: "1" } },
  );
  let log = "";
  worker.stdout.on("data", (d) => (log += d));
  worker.stderr.on("data", (d) => (log += d));
  try {
    await waitUp();
    const t = performance.now();
    const res = await fetch(`${BASE}/cdn-cgi/handler/scheduled?cron=0+3+*+*+*&time=${NOW}`);
    const ms = performance.now() - t;
    if (!res.ok) throw new Error(`scheduled handler: ${res.status} ${await res.text()}`);
    let line;
    for (let i = 0; i < 40 && !line; i++) {
      line = log.split("\n").find((l) => l.includes('"inactivity"'));
      if (!line) await new Promise((r) => setTimeout(r, 250));
    }
    if (!line) throw new Error(`no cron log line:\n${log.slice(-2000)}`);
    const entry = JSON.parse(line.slice(line.indexOf("{")));
    return { accounts: n, wallMs: Math.round(ms), ...entry.inactivity, mail: entry.mail, stepMs: entry.stepMs };
  } finally {
    try { process.kill(-worker.pid, "SIGTERM"); } catch {}
    await new Promise((r) => setTimeout(r, 500));
    rmSync(state, { recursive: true, force: true });
  }
}

const small = await run(10_000);
console.log(JSON.stringify(small));
const large = await run(100_000);
console.log(JSON.stringify(large));
console.log(
  `daily run: 10k ${small.wallMs} ms, 100k ${large.wallMs} ms, ratio ${(large.wallMs / small.wallMs).toFixed(2)}\n` +
    `sweep step: 10k ${small.stepMs.inactivity} ms (${small.statements} statements), 100k ${large.stepMs.inactivity} ms (${large.statements} statements), ` +
    `ratio ${(large.stepMs.inactivity / small.stepMs.inactivity).toFixed(2)}`,
);
process.exit(0);
