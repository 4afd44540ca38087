// The Worker under test: its own `wrangler dev` on a fixed port with a fresh
// --persist-to directory (empty D1 and KV, so the suite starts at first-run
// setup), migrations applied first, stopped with its whole process group.
//
// wrangler dev runs from a copy of the sources taken at the start: it watches
// its sources and reloads on every change, and a reload in the middle of a
// flow (someone editing the tree while the suite runs) slows requests to
// seconds and can drop the request in flight. The copy makes a run test one
// version of the code from start to end.
import { spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve, sep } from "node:path";

const ROOT = resolve(import.meta.dirname, "../../..");
const WRANGLER = join(ROOT, "node_modules/.bin/wrangler");
/**
 * Not copied: dependencies (linked instead), history, local state, results,
 * the tests themselves, and .dev.vars (a developer's RESEND_API_KEY there
 * would switch off the /dev/mail mailbox the flows read).
 */
const NOT_COPIED = new Set(["node_modules", ".git", ".wrangler", "test-results", "test", "bench", ".dev.vars"]);
const START_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 10_000;

/** Runs a command to completion, keeping its output for the error message. */
function run(cmd, args, env, cwd) {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { env, cwd, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", fail);
    child.on("exit", (code) => (code === 0 ? done(out) : fail(new Error(`${cmd} ${args.join(" ")} exited with ${code}:\n${out}`))));
  });
}

async function healthy(origin) {
  try {
    return (await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(2_000) })).ok;
  } catch {
    return false;
  }
}

/**
 * Starts the portal; resolves once /healthz answers. `stop()` ends the
 * process group and removes the copy and its state; it is also run when the
 * test process exits, so a failed or interrupted run leaves nothing behind.
 */
export async function startPortal({ port, logFile }) {
  const origin = `http://localhost:${port}`;
  if (await healthy(origin)) throw new Error(`Something already answers on ${origin}; stop it (or its stale wrangler dev) first.`);

  const work = mkdtempSync(join(tmpdir(), "portico-e2e-"));
  const app = join(work, "app");
  const state = join(work, "state");
  const env = { ...process.env, CI: "1", NO_COLOR: "1", WRANGLER_SEND_METRICS: "false" };
  try {
    cpSync(ROOT, app, { recursive: true, filter: (src) => !NOT_COPIED.has(relative(ROOT, src).split(sep)[0]) });
    symlinkSync(join(ROOT, "node_modules"), join(app, "node_modules"), "dir");
    await run(WRANGLER, ["d1", "migrations", "apply", "portico", "--local", "--persist-to", state], env, app);
  } catch (e) {
    rmSync(work, { recursive: true, force: true });
    throw e;
  }

  const args = ["dev", "--port", String(port), "--persist-to", state, "--var", "ENVIRONMENT:development", "--var", `APP_ORIGIN:${origin}`];
  // detached: its own process group, so stop() reaches workerd and esbuild too.
  const child = spawn(WRANGLER, args, { env, cwd: app, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stdout.on("data", (d) => (log += d));
  child.stderr.on("data", (d) => (log += d));
  let exited = false;
  const exit = new Promise((r) => child.on("exit", () => ((exited = true), r())));

  const killGroup = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  // A detached group outlives its parent, so end it however this process ends:
  // normally ("exit"), or interrupted (the test runner sends SIGTERM on timeout, a person Ctrl-C).
  const onExit = () => killGroup("SIGKILL");
  const onSignal = (signal) => {
    killGroup("SIGKILL");
    rmSync(work, { recursive: true, force: true });
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.on("exit", onExit);
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  let stopped = false;
  async function stop() {
    if (stopped) return;
    stopped = true;
    killGroup("SIGTERM");
    const timer = new Promise((r) => setTimeout(r, STOP_TIMEOUT_MS).unref());
    await Promise.race([exit, timer]);
    if (!exited) killGroup("SIGKILL");
    process.off("exit", onExit);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    if (logFile) {
      mkdirSync(resolve(logFile, ".."), { recursive: true });
      writeFileSync(logFile, log);
    }
    rmSync(work, { recursive: true, force: true });
  }

  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await healthy(origin))) {
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`wrangler dev did not answer on ${origin}/healthz within ${START_TIMEOUT_MS / 1000} s:\n${log.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { origin, stop };
}
