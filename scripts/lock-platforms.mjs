// The npm registry reachable from this project's machines lacks some
// platform builds of workerd (darwin, windows), so `npm install` leaves them
// out of package-lock.json and `npm ci` then refuses the lock as out of sync.
// This adds the entries npm would have written (os/cpu-tagged optional
// packages, which npm skips on other platforms). Run after any `npm install`
// that rewrites the lock: `npm run lock:platforms`.
import { readFileSync, writeFileSync } from "node:fs";

const PLATFORMS = [
  ["darwin-64", "darwin", "x64"],
  ["darwin-arm64", "darwin", "arm64"],
  ["windows-64", "win32", "x64"],
];
const lock = JSON.parse(readFileSync("package-lock.json", "utf8"));
const packages = lock.packages;
let added = 0;
for (const [path, meta] of Object.entries(packages)) {
  if (!path.endsWith("node_modules/workerd") || !meta.optionalDependencies) continue;
  const prefix = path.slice(0, -"workerd".length);
  for (const [name, os, cpu] of PLATFORMS) {
    const pkg = `@cloudflare/workerd-${name}`;
    const key = `${prefix}${pkg}`;
    if (packages[key] || !meta.optionalDependencies[pkg]) continue;
    packages[key] = { version: meta.optionalDependencies[pkg], cpu: [cpu], dev: true, license: "Apache-2.0", optional: true, os: [os], engines: { node: ">=16" } };
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : a > b ? 1 : 0)));
writeFileSync("package-lock.json", JSON.stringify(lock, null, 2) + "\n");
console.log(`package-lock.json: added ${added} platform entries`);
