// Measures the sign-in cost against a local `wrangler dev`: the password step
// (PBKDF2-SHA256, 100,000 iterations), the TOTP step and the whole login round
// trip, each beside the bare /healthz route measured in the same run.
// Usage: npm run bench   (starts its own Worker on port 8799 with a throwaway state dir)
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Secret, TOTP } from "otpauth";

const PORT = 8799;
const BASE = `http://127.0.0.1:${PORT}`;
const PASSWORD = "correct horse battery staple";
const state = mkdtempSync(join(tmpdir(), "portico-bench-"));
const wrangler = join("node_modules", ".bin", "wrangler");
const vars = ["--var", "ENVIRONMENT:development", "--var", `APP_ORIGIN:${BASE}`];

execFileSync(wrangler, ["d1", "migrations", "apply", "portico", "--local", "--persist-to", state], { stdio: "ignore", env: { ...process.env, CI: "1" } });
const worker = spawn(wrangler, ["dev", "--port", String(PORT), "--ip", "127.0.0.1", "--persist-to", state, ...vars], { stdio: "ignore", detached: true });
const stop = () => {
  try { process.kill(-worker.pid, "SIGTERM"); } catch {}
  rmSync(state, { recursive: true, force: true });
};
process.on("exit", stop);

async function waitUp() {
  for (let i = 0; i < 120; i++) {
    try { if ((await fetch(`${BASE}/healthz`)).ok) return; } catch {}
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("wrangler dev did not start");
}

const json = (path, body, cookie) =>
  fetch(BASE + path, { method: body === undefined ? "GET" : "POST", headers: { "content-type": "application/json", ...(cookie ? { cookie } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
const timed = async (fn) => { const t = performance.now(); const r = await fn(); return [performance.now() - t, r]; };
const codeAt = (secret, offsetSteps = 0) => new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: Date.now() + offsetSteps * 30_000 });
const stats = (xs) => { const s = [...xs].sort((a, b) => a - b); const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))]; return { n: s.length, p50: q(0.5), p90: q(0.9) }; };

await waitUp();
const healthz = [];
for (let i = 0; i < 20; i++) await fetch(`${BASE}/healthz`); // warm up
for (let i = 0; i < 200; i++) healthz.push((await timed(() => fetch(`${BASE}/healthz`)))[0]);

// Accounts: the operator from setup plus partner managers it onboards; each enrolls on first login.
await json("/api/v1/setup", { orgName: "Bench", email: "op@bench.example", name: "Op", password: PASSWORD });
const passwordStep = [], totpStep = [], roundTrip = [];
async function signIn(email, secretBox, offset) {
  const [tp, loginRes] = await timed(() => json("/api/v1/auth/login", { email, password: PASSWORD }));
  const login = await loginRes.json();
  if (login.totp) secretBox.secret = login.totp.secret;
  const [tt, totpRes] = await timed(() => json("/api/v1/auth/totp", { challenge: login.challenge, code: codeAt(secretBox.secret, offset) }));
  if (totpRes.status !== 200) throw new Error(`totp ${totpRes.status} ${await totpRes.text()}`);
  passwordStep.push(tp); totpStep.push(tt); roundTrip.push(tp + tt);
  return totpRes.headers.get("set-cookie").split(";")[0];
}
const accounts = [{ email: "op@bench.example", box: {} }];
const cookie = await signIn(accounts[0].email, accounts[0].box, -1);
for (let i = 0; i < 6; i++) {
  const email = `pm${i}@bench.example`;
  await json("/api/v1/orgs", { name: `Partner ${i}`, kind: "partner", manager: { email, name: `PM ${i}` } }, cookie);
  const mail = (await (await fetch(`${BASE}/dev/mail.json`)).json()).messages.find((m) => m.to === email);
  const token = new URL(mail.text.match(/https?:\/\/\S+\/activate\S*/)[0]).searchParams.get("token");
  await json("/api/v1/invitations/accept", { token, password: PASSWORD, acceptPrivacyPolicy: true });
  accounts.push({ email, box: {} });
}
// Each account can use three consecutive TOTP steps (previous, current, next) within one window.
for (const a of accounts.slice(1)) await signIn(a.email, a.box, -1);
for (const offset of [0, 1]) for (const a of accounts) await signIn(a.email, a.box, offset);

const h = stats(healthz);
const rows = [
  ["GET /healthz (bare route)", h],
  ["password step  POST /api/v1/auth/login", stats(passwordStep)],
  ["TOTP step      POST /api/v1/auth/totp", stats(totpStep)],
  ["login round trip (both steps)", stats(roundTrip)],
];
console.log(`\nPortico sign-in cost, wrangler dev on ${process.platform}/${process.arch}, sequential requests, milliseconds\n`);
console.log("| request | n | p50 ms | p90 ms | p50 / bare route |");
console.log("| --- | ---: | ---: | ---: | ---: |");
for (const [name, s] of rows) console.log(`| ${name} | ${s.n} | ${s.p50.toFixed(1)} | ${s.p90.toFixed(1)} | ${(s.p50 / h.p50).toFixed(1)}× |`);
stop();
process.exit(0);
