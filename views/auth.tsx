// Setup, sign-in, two-factor, activation and password reset pages.
import type { FieldErrors } from "../src/lib/errors";
import type { FormValues } from "../src/lib/validate";
import { PASSWORD_MAX, PASSWORD_MIN } from "../src/domain/password-policy";
import { ASSET_URLS } from "./asset-urls";
import { Checkbox, Field, Form, FormErrors, Notice, RecoveryCodeList } from "./components";

interface FormState {
  values?: FormValues;
  errors?: FieldErrors;
  message?: string;
}

const passwordHint = `${PASSWORD_MIN} to ${PASSWORD_MAX} characters. Common passwords are refused; a passphrase of a few words works well.`;

export function SetupPage(p: FormState & { needsToken: boolean }) {
  return (
    <>
      <h1>Set up the portal</h1>
      <p class="muted">Create the vendor organization and the first operator account. This page is available only until the first account exists.</p>
      <FormErrors errors={p.errors} shown={["orgName", "name", "email", "password", "setupToken"]} message={p.message} />
      <Form action="/setup" class="card">
        <Field name="orgName" label="Vendor organization name" value={p.values?.orgName} errors={p.errors} required maxlength={120} autofocus />
        <Field name="name" label="Your name" value={p.values?.name} errors={p.errors} autocomplete="name" required maxlength={120} />
        <Field name="email" label="Your email" type="email" value={p.values?.email} errors={p.errors} autocomplete="email" required />
        <Field name="password" label="Password" type="password" errors={p.errors} autocomplete="new-password" hint={passwordHint} required />
        {p.needsToken && <Field name="setupToken" label="Setup token" type="password" errors={p.errors} hint="The SETUP_TOKEN secret set with wrangler." required />}
        <button type="submit">Create operator account</button>
      </Form>
    </>
  );
}

export function LoginPage(p: FormState & { next?: string }) {
  return (
    <>
      <h1>Sign in</h1>
      <FormErrors errors={p.errors} shown={["email", "password"]} message={p.message} />
      <Form action={p.next ? `/login?next=${encodeURIComponent(p.next)}` : "/login"} class="card">
        <Field name="email" label="Email" type="email" value={p.values?.email} errors={p.errors} autocomplete="username" required autofocus />
        <Field name="password" label="Password" type="password" errors={p.errors} autocomplete="current-password" required />
        <button type="submit">Continue</button>
        <p><a href="/forgot-password">Forgot your password?</a></p>
      </Form>
    </>
  );
}

export function TwoFactorPage(p: FormState & { enroll?: { secret: string; uri: string } }) {
  return (
    <>
      <h1>{p.enroll ? "Set up two-factor authentication" : "Two-factor authentication"}</h1>
      <FormErrors errors={p.errors} shown={p.enroll ? ["code"] : ["code", "recoveryCode"]} message={p.message} />
      {p.enroll && (
        <div class="card">
          <p>Every account needs an authenticator app (for example Google Authenticator, Microsoft Authenticator, 1Password or Bitwarden). Scan this code with it:</p>
          {/* Drawn by public/js/app.js with uqr (an asset, not in the Worker); the key below works without it. */}
          <div class="qr" role="img" aria-label="QR code of the authenticator setup link" data-otpauth={p.enroll.uri} data-qr-module={ASSET_URLS["uqr.mjs"]}></div>
          <p>Or enter this key by hand (time-based, 6 digits, 30 seconds):</p>
          <p class="secret">{p.enroll.secret.replace(/(.{4})/g, "$1 ").trim()}</p>
        </div>
      )}
      <Form action="/login/two-factor" class="card">
        <Field
          name="code"
          label={p.enroll ? "Code shown by your app" : "6-digit code from your authenticator app"}
          errors={p.errors}
          autocomplete="one-time-code"
          inputmode="numeric"
          maxlength={7}
          pattern="[0-9 ]*"
          autofocus
          required={Boolean(p.enroll)}
        />
        {!p.enroll && (
          // Open again after a refused recovery code, with what was typed, so a typo is fixed in place.
          <details open={Boolean(p.errors?.recoveryCode)}>
            <summary>Use a recovery code instead</summary>
            <Field name="recoveryCode" label="Recovery code" value={p.errors?.recoveryCode ? p.values?.recoveryCode : undefined} errors={p.errors} autocomplete="off" maxlength={20} />
          </details>
        )}
        <button type="submit">{p.enroll ? "Confirm and finish setup" : "Sign in"}</button>
      </Form>
    </>
  );
}

export function RecoveryCodesPage(p: { codes: string[]; next: string }) {
  return (
    <>
      <h1>Save your recovery codes</h1>
      <Notice kind="success">Two-factor authentication is set up.</Notice>
      <div class="card">
        <p>If you lose your authenticator app, each of these codes signs you in once. They are shown only now: store them in a password manager or print them.</p>
        <RecoveryCodeList codes={p.codes} />
        <a class="button" href={p.next}>I have saved them, continue</a>
      </div>
    </>
  );
}

export function ActivatePage(p: FormState & { token: string; email: string; policyVersion: string }) {
  return (
    <>
      <h1>Activate your account</h1>
      <p class="muted">
        Account: <strong>{p.email}</strong>
      </p>
      <FormErrors errors={p.errors} shown={["password", "acceptPrivacyPolicy"]} message={p.message} />
      <Form action="/activate" class="card">
        <input type="hidden" name="token" value={p.token} />
        <input type="text" name="username" value={p.email} autocomplete="username" hidden readonly />
        <Field name="password" label="Choose a password" type="password" errors={p.errors} autocomplete="new-password" hint={passwordHint} required autofocus />
        <Checkbox
          name="acceptPrivacyPolicy"
          errors={p.errors}
          checked={p.values?.acceptPrivacyPolicy === "on"}
          label={
            <>
              I agree to the <a href="/privacy" target="_blank" rel="noopener">privacy policy</a> (version {p.policyVersion})
            </>
          }
        />
        <button type="submit">Create account</button>
      </Form>
    </>
  );
}

export function LinkProblemPage(p: { title: string; message: string; action?: { href: string; label: string } }) {
  return (
    <>
      <h1>{p.title}</h1>
      <Notice kind="error">{p.message}</Notice>
      {p.action && <a class="button" href={p.action.href}>{p.action.label}</a>}
    </>
  );
}

export function ForgotPasswordPage(p: FormState & { sent?: boolean }) {
  return (
    <>
      <h1>Forgot your password?</h1>
      {p.sent ? (
        <Notice kind="success">If an account uses that address, we have sent it a link. Check your mail; the link works for one hour.</Notice>
      ) : (
        <>
          <FormErrors errors={p.errors} shown={["email"]} message={p.message} />
          <Form action="/forgot-password" class="card">
            <Field name="email" label="Email" type="email" value={p.values?.email} errors={p.errors} autocomplete="email" required autofocus />
            <button type="submit">Send reset link</button>
          </Form>
        </>
      )}
      <p><a href="/login">Back to sign in</a></p>
    </>
  );
}

export function ResetPasswordPage(p: FormState & { token: string; email: string }) {
  return (
    <>
      <h1>Choose a new password</h1>
      <FormErrors errors={p.errors} shown={["password"]} message={p.message} />
      <Form action="/reset-password" class="card">
        <input type="hidden" name="token" value={p.token} />
        <input type="text" name="username" value={p.email} autocomplete="username" hidden readonly />
        <Field name="password" label="New password" type="password" errors={p.errors} autocomplete="new-password" hint={passwordHint} required autofocus />
        <button type="submit">Save password</button>
      </Form>
    </>
  );
}

export function PrivacyPage(p: { version: string; appName: string }) {
  return (
    <>
      <h1>Privacy policy</h1>
      <p class="muted">Version {p.version}</p>
      <div class="card">
        <p>{p.appName} stores your name, email address, role, sign-in times and the addresses you sign in from to run the partner portal and keep it secure.</p>
        <p>Changes you make are recorded in an audit log that your organization's managers and the portal's operators can read. Audit entries are kept for 400 days.</p>
        <p>Your password is stored only as a salted, peppered hash; your authenticator key is stored encrypted.</p>
      </div>
    </>
  );
}
