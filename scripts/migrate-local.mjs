// Applies migrations/ to the local D1 under .wrangler/state without wrangler's
// "continue? (Y/n)" prompt, so `npm run dev` starts straight away. (CI=1 makes
// wrangler non-interactive; set here so it works in every shell.)
import { spawnSync } from "node:child_process";

const result = spawnSync("wrangler", ["d1", "migrations", "apply", "portico", "--local"], {
  stdio: "inherit",
  shell: process.platform === "win32",
  env: { ...process.env, CI: "1" },
});
process.exit(result.status ?? 1);
