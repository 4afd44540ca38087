// Runs the project's own wrangler (on the Node that runs this script, which
// `npm run` makes the project's Node 22) and a throwaway local Worker.
import { execFile, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

const quietEnv = () => ({ ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false" });

/** [command, args] running wrangler's CLI on this Node. */
export function wranglerCommand(args) {
  return [process.execPath, [join(projectRoot, "node_modules", "wrangler", "bin", "wrangler.js"), ...args]];
}

async function wrangler(args) {
  const [cmd, argv] = wranglerCommand(args);
  return promisify(execFile)(cmd, argv, { cwd: projectRoot, env: quietEnv(), maxBuffer: 64 * 1024 * 1024 });
}

/**
 * A `wrangler dev` on `port` serving `script` (the bundle `wrangler deploy`
 * would upload) with --no-bundle, from a snapshot of wrangler.toml, public/
 * and migrations/ in a temporary directory with its own state. wrangler dev
 * watches its sources, config and assets and restarts the runtime when they
 * change; other people's edits and `npm run assets` in the working tree must
 * not restart the Worker in the middle of a measurement. Only loopback is ever
 * bound; request logging is off (--log-level warn) so the figures are the
 * Worker's, not wrangler's console.
 */
export async function startWorker({ port, vars, script }) {
  const dir = await mkdtemp(join(tmpdir(), "portico-bench-"));
  const config = join(dir, "wrangler.toml");
  await cp(join(projectRoot, "wrangler.toml"), config);
  await cp(join(projectRoot, "public"), join(dir, "public"), { recursive: true });
  await cp(join(projectRoot, "migrations"), join(dir, "migrations"), { recursive: true });
  const state = join(dir, "state");
  await wrangler(["d1", "migrations", "apply", "portico", "--local", "--config", config, "--persist-to", state]);
  const varArgs = Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
  const logLevel = process.env.BENCH_WRANGLER_LOG ?? "warn";
  const [cmd, argv] = wranglerCommand(["dev", script, "--no-bundle", "--config", config, "--port", String(port), "--ip", "127.0.0.1", "--persist-to", state, "--log-level", logLevel, ...varArgs]);
  // Its own process group, so stopping it also stops workerd and esbuild.
  const child = spawn(cmd, argv, { cwd: projectRoot, env: quietEnv(), stdio: ["ignore", "pipe", "pipe"], detached: true });
  let log = "";
  const keep = (d) => (log = (log + d).slice(-20_000));
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);

  const base = `http://127.0.0.1:${port}`;
  let stopped = false;
  const worker = {
    base,
    port,
    state,
    pid: child.pid,
    log: () => log,
    /** Runs SQL against the Worker's local D1 (SQLite locking makes it visible to the running Worker at once). */
    async sql(text) {
      const file = join(state, `seed-${Date.now()}.sql`);
      await writeFile(file, text);
      await wrangler(["d1", "execute", "portico", "--local", "--config", config, "--persist-to", state, "--file", file]);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {}
      await new Promise((r) => setTimeout(r, 300));
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitUp(base, child);
  } catch (error) {
    await worker.stop();
    throw new Error(`${error.message}\n--- wrangler dev output ---\n${log.slice(-4000)}`);
  }
  return worker;
}

async function waitUp(base, child) {
  for (let i = 0; i < 240; i++) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${base}/healthz`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error("wrangler dev did not answer /healthz within 60 s");
}

/** Every process below `rootPid` (wrangler's node, its workerd runtimes, esbuild). */
function processTree(rootPid) {
  const children = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // The command name may hold spaces and parentheses; fields resume after the last ")".
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {}
  }
  const out = [];
  const walk = (pid) => {
    out.push(pid);
    for (const c of children.get(pid) ?? []) walk(c);
  };
  walk(rootPid);
  return out;
}

/**
 * CPU time (ms) consumed so far by every thread of the Worker's process tree,
 * from /proc/<pid>/task/<tid>/schedstat (nanoseconds on CPU). Differences of
 * two readings are the CPU the requests in between cost, whatever else the
 * machine was doing meanwhile — unlike wall-clock latency.
 *
 * `runtime` leaves out the workerd that only proxies the dev port to the
 * Worker (the one whose entry socket is that port): what remains is the
 * runtime running the Worker, its local D1 (SQLite) and KV.
 */
export function workerCpuMs(worker) {
  let total = 0;
  let proxy = 0;
  for (const pid of processTree(worker.pid)) {
    let cmdline = "";
    let tasks = [];
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    let ns = 0;
    for (const tid of tasks) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
      } catch {}
    }
    total += ns / 1e6;
    if (cmdline.split("\0").includes(`--socket-addr=entry=127.0.0.1:${worker.port}`)) proxy += ns / 1e6;
  }
  return { total, runtime: total - proxy };
}

/** False where /proc has no per-thread scheduler statistics (not Linux). */
export function cpuReadable() {
  try {
    readFileSync(`/proc/${process.pid}/task/${process.pid}/schedstat`, "utf8");
    return true;
  } catch {
    return false;
  }
}
