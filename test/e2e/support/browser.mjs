// Debian's Chromium through playwright-core, one browser context per person,
// and the checks every main page gets: a screenshot under
// test-results/screenshots/ and an axe-core run that fails on serious or
// critical violations.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

export const RESULTS_DIR = resolve(import.meta.dirname, "../../../test-results");
export const SCREENSHOTS_DIR = join(RESULTS_DIR, "screenshots");

/** The flags from spec/stack.md: without the background-networking ones Chromium floods the closed network. */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 375, height: 812 };

export function launchChromium() {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: CHROMIUM_ARGS, timeout: 30_000 });
}

/** What the suite checked, for the summary at the end. */
export const tally = { pages: 0, screenshots: 0, axeRuns: 0, screenshotMs: 0, axeMs: 0 };

/**
 * One person's browser: its own cookies (so its own session), a page that
 * accepts the confirm() dialogs destructive forms ask, and a record of
 * uncaught script errors and CSP refusals, which fail the flow.
 */
export async function openPerson(browser, origin, name) {
  const context = await browser.newContext({ baseURL: origin, viewport: DESKTOP });
  // Chromium's own CSP message does not say which element or script was refused; this does.
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      const where = e.target instanceof Element ? e.target.outerHTML.slice(0, 160) : e.target?.nodeName;
      console.error(`CSP refused ${e.effectiveDirective} (${e.blockedURI || "inline"}) from ${e.sourceFile || "?"}:${e.lineNumber} on ${where}`);
    }, true);
  });
  // Generous but bounded: the 2-core machine may be busy with other work.
  context.setDefaultTimeout(20_000);
  context.setDefaultNavigationTimeout(30_000);
  const page = await context.newPage();
  const problems = [];
  const watch = (p) => {
    p.on("dialog", (d) => d.accept());
    p.on("pageerror", (e) => problems.push(`${name}: uncaught ${e.message} on ${p.url()}`));
    p.on("console", (m) => {
      if (m.type() === "error" && /^CSP refused/.test(m.text())) problems.push(`${name}: ${m.text()} (${p.url()})`);
    });
  };
  watch(page);
  return {
    name,
    context,
    page,
    problems,
    /** A second tab of the same person (same session), e.g. at phone width. */
    async newPage(viewport = DESKTOP) {
      const p = await context.newPage();
      await p.setViewportSize(viewport);
      watch(p);
      return p;
    },
  };
}

/** axe-core on the page as it is now; serious and critical violations, one readable line each. */
export async function axeViolations(page) {
  // evaluate() runs through the DevTools protocol, which the page's CSP does not govern,
  // so the CSP under test stays on while axe is added.
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ["violations"] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map((n) => n.target.join(" ")), count: v.nodes.length }));
  });
  tally.axeRuns++;
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical");
}

const fileName = (s) => s.replace(/[^a-z0-9-]+/gi, "-").replace(/^-|-$/g, "").toLowerCase();

/**
 * The checks of one main page as it is shown now: screenshot
 * `<flow>-<name>.png` and no serious or critical axe violation.
 */
export async function checkPage(page, flow, name) {
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  await page.evaluate(() => (window.__styledBeforeChecks = new Set(document.querySelectorAll("[style]"))));
  let t = performance.now();
  await page.screenshot({ path: join(SCREENSHOTS_DIR, `${fileName(flow)}-${fileName(name)}.png`), fullPage: true });
  tally.screenshotMs += performance.now() - t;
  tally.screenshots++;
  tally.pages++;
  t = performance.now();
  const serious = await axeViolations(page);
  tally.axeMs += performance.now() - t;
  // The screenshot (hiding the caret) and axe (measuring) go through element.style and leave
  // `style=""` on elements. htmx's settle step copies that attribute onto swapped-in elements with
  // setAttribute, which the CSP (style-src-attr) refuses: leave the page as the server sent it.
  await page.evaluate(() => {
    for (const el of document.querySelectorAll("[style]")) if (!window.__styledBeforeChecks.has(el)) el.removeAttribute("style");
  });
  const report = serious.map((v) => `  [${v.impact}] ${v.id}: ${v.help} (${v.count}×: ${v.targets.join(" | ")})`).join("\n");
  assert.equal(serious.length, 0, `axe: serious or critical violations on ${name} (${page.url()}):\n${report}`);
}

/**
 * Opens `path`, expects the HTTP status, then checks the page. Redirects
 * are followed; `status` is the final answer's.
 */
export async function visit(page, path, { flow, name, status = 200 }) {
  const response = await page.goto(path);
  assert.ok(response, `no response for ${path}`);
  assert.equal(response.status(), status, `${path} answered ${response.status()} (expected ${status}) at ${page.url()}`);
  await checkPage(page, flow, name);
  return response;
}

/** A screenshot and the HTML of every open page, to look at beside the error. */
export async function failureShots(people, flow) {
  const dir = join(RESULTS_DIR, "failures");
  mkdirSync(dir, { recursive: true });
  for (const person of people) {
    for (const [i, p] of person.context.pages().entries()) {
      const base = join(dir, `${fileName(flow)}-${fileName(person.name)}-${i}`);
      await p.screenshot({ path: `${base}.png`, fullPage: true }).catch(() => {});
      await p.content().then((html) => writeFileSync(`${base}.html`, `<!-- ${p.url()} -->\n${html}`), () => {});
    }
  }
}
