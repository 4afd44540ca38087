// Accounts as a person handles them: activation from the development
// mailbox, sign-in with password and a TOTP code computed from the key the
// enrollment page showed (typed from the page, as a user would).
import assert from "node:assert/strict";
import { Secret, TOTP } from "otpauth";
import { checkPage } from "./browser.mjs";

export const PASSWORD = "correct horse battery staple";
const STEP_MS = 30_000;

/** Someone with an account: email, name, password, and (after enrollment) the TOTP key and the last step the server accepted. */
export function account(email, name) {
  return { email, name, password: PASSWORD, secret: null, lastStep: null, lastCode: null, recoveryCodes: [] };
}

/**
 * A code the server accepts now and has not seen. The server takes the
 * previous, current and next step, each once per account; this uses the
 * current step, or the next one when the current is spent (a second sign-in
 * within 30 s). Never the previous step: a code for it could age out on its
 * way to a busy server, while these stay valid for 30 s or more. When both
 * are spent, wait for the clock to reach the next step (at most 30 s; the
 * suite signs nobody in three times that fast).
 */
export async function freshCode(acct) {
  assert.ok(acct.secret, `${acct.email} has no TOTP key yet`);
  const totp = new TOTP({ secret: Secret.fromBase32(acct.secret), digits: 6, period: 30, algorithm: "SHA1" });
  for (;;) {
    const now = Date.now();
    const current = Math.floor(now / STEP_MS);
    const step = [current, current + 1].find((s) => acct.lastStep === null || s > acct.lastStep);
    if (step !== undefined) {
      acct.lastStep = step;
      acct.lastCode = totp.generate({ timestamp: step * STEP_MS });
      return acct.lastCode;
    }
    await new Promise((r) => setTimeout(r, STEP_MS - (now % STEP_MS) + 50));
  }
}

const main = (page) => page.locator("main");

/**
 * Signs in through /login and /login/two-factor. On the first sign-in the
 * page enrolls TOTP: the key is read from the page, a code confirmed, and the
 * recovery codes page checked. `flow` names the screenshots; `shots` says
 * whether to check the sign-in pages themselves (once per suite is enough).
 */
export async function signIn(page, acct, { flow, shots = false } = {}) {
  await page.goto("/login");
  assert.match(new URL(page.url()).pathname, /^\/login/);
  await main(page).getByLabel("Email").fill(acct.email);
  await main(page).getByLabel("Password").fill(acct.password);
  if (shots) await checkPage(page, flow, "login");
  await main(page).getByRole("button", { name: "Continue" }).click();
  await page.waitForURL(/\/login\/two-factor$/);

  const enrolling = acct.secret === null;
  if (enrolling) {
    await assertHeading(page, "Set up two-factor authentication");
    // The key as shown, in groups of four; an authenticator ignores the spaces.
    acct.secret = (await main(page).locator(".secret").innerText()).replace(/\s+/g, "");
    assert.match(acct.secret, /^[A-Z2-7]{16,}$/, "the enrollment page shows a base32 key");
    // The browser draws the QR code (public/js/app.js with the uqr asset): an SVG with modules in it.
    await main(page).locator(".qr svg path").first().waitFor();
    if (shots) await checkPage(page, flow, "two-factor-enroll");
  }
  await main(page).getByLabel(enrolling ? "Code shown by your app" : "6-digit code from your authenticator app").fill(await freshCode(acct));
  await main(page).getByRole("button", { name: enrolling ? "Confirm and finish setup" : "Sign in" }).click();

  if (enrolling) {
    await assertHeading(page, "Save your recovery codes");
    // Saved as the person would (a password manager), for a flow that signs in with one.
    acct.recoveryCodes = (await main(page).locator("ol.codes li").allInnerTexts()).map((code) => code.trim());
    assert.equal(acct.recoveryCodes.length, 10, "ten recovery codes are shown once");
    if (shots) await checkPage(page, flow, "recovery-codes");
    await main(page).getByRole("link", { name: "I have saved them, continue" }).click();
  }
  await page.waitForURL((url) => !url.pathname.startsWith("/login"));
}

/** The newest mail to `email` in /dev/mail, and the link in it under `path`. */
export async function linkFromMail(page, email, path, { flow, shot } = {}) {
  await page.goto("/dev/mail");
  const mail = main(page).locator("article", { hasText: `To ${email}` }).filter({ has: page.locator(`a[href*="${path}"]`) }).first();
  await mail.waitFor();
  if (shot) await checkPage(page, flow, shot);
  return mail.locator(`a[href*="${path}"]`).first().getAttribute("href");
}

/** The invitation from /dev/mail: set a password, accept the privacy policy, then sign in and enroll. */
export async function activateFromMail(page, acct, { flow, shots = false } = {}) {
  const link = await linkFromMail(page, acct.email, "/activate", { flow, shot: shots ? "dev-mail" : undefined });
  const url = new URL(link);
  assert.equal(url.origin, new URL(page.url()).origin, "links in mail use APP_ORIGIN");
  await page.goto(url.pathname + url.search);
  await assertHeading(page, "Activate your account");
  await main(page).getByLabel("Choose a password").fill(PASSWORD);
  await main(page).getByLabel(/I agree to the/).check();
  if (shots) await checkPage(page, flow, "activate");
  await main(page).getByRole("button", { name: "Create account" }).click();
  await page.waitForURL(/\/login$/);
  await main(page).getByText("Your account is created.").waitFor();
  await signIn(page, acct, { flow });
}

export async function assertHeading(page, text) {
  await main(page).getByRole("heading", { level: 1, name: text }).waitFor();
}
