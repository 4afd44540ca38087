// Pages of setup and sign-in; each calls the same service as its JSON twin in routes/api.
import { Hono, type Context } from "hono";
import * as z from "../../lib/zod";
import type { AppEnv } from "../../env";
import { ACTIVATION_PROBLEMS, NEW_ACTIVATION_LINK } from "../../domain/activation-link";
import { safeNextPath } from "../../domain/redirects";
import { CHALLENGE_TTL_SECONDS } from "../../domain/tokens";
import { CHALLENGE_COOKIE, clearCookie, readCookie, SESSION_COOKIE, writeCookie } from "../../lib/cookies";
import { AppError } from "../../lib/errors";
import { noReferrer } from "../../middleware/security-headers";
import { completeSignIn, enrollmentOf, LoginInput, startLogin } from "../../services/auth";
import { readChallenge } from "../../services/challenges";
import { acceptInvitation, AcceptInvitationInput, ActivationLinkError, findInvitation } from "../../services/invitations";
import { findPasswordReset, ForgotPasswordInput, requestPasswordReset, resetPassword, ResetPasswordInput } from "../../services/password-reset";
import { endSession } from "../../services/sessions";
import { isSetupOpen, setupNeedsToken, SetupInput, setupPortal } from "../../services/setup";
import {
  ActivatePage,
  ForgotPasswordPage,
  LinkProblemPage,
  LoginPage,
  PrivacyPage,
  RecoveryCodesPage,
  ResetPasswordPage,
  SetupPage,
  TwoFactorPage,
} from "../../../views/auth";
import { checkbox, formAction } from "./form-action";
import { seeOther, SIGNED_OUT } from "./flash";

export const authPages = new Hono<AppEnv>();

authPages.get("/setup", async (c) => {
  if (!(await isSetupOpen(c.var.deps))) throw new AppError("NOT_FOUND", "Not found.");
  return c.render(<SetupPage needsToken={setupNeedsToken(c.var.deps)} />, { title: "Set up", narrow: true });
});

authPages.post("/setup", async (c) => {
  if (!(await isSetupOpen(c.var.deps))) throw new AppError("NOT_FOUND", "Not found.");
  return formAction(c, {
    schema: SetupInput,
    run: async (data) => {
      await setupPortal(c.var.deps, data, { openChecked: true });
      return seeOther(c, "/login", "The operator account is ready. Sign in to set up two-factor authentication.");
    },
    render: (s) => c.render(<SetupPage needsToken={setupNeedsToken(c.var.deps)} {...s} />, { title: "Set up", narrow: true }),
  });
});

authPages.get("/login", async (c) => {
  const next = safeNextPath(c.req.query("next"), c.var.deps.config.origin, "");
  if (c.var.actor) return c.redirect(next || "/", 303);
  return c.render(<LoginPage next={next || undefined} />, { title: "Sign in", narrow: true });
});

authPages.post("/login", (c) => {
  const next = safeNextPath(c.req.query("next"), c.var.deps.config.origin, "") || undefined;
  return formAction(c, {
    schema: LoginInput,
    run: async (data) => {
      const result = await startLogin(c.var.deps, data, next);
      writeCookie(c, CHALLENGE_COOKIE, result.challenge, CHALLENGE_TTL_SECONDS);
      return c.redirect("/login/two-factor", 303);
    },
    render: (s) => c.render(<LoginPage next={next} {...s} />, { title: "Sign in", narrow: true }),
  });
});

async function twoFactorView(c: Context<AppEnv>) {
  const id = readCookie(c, CHALLENGE_COOKIE) ?? "";
  const challenge = await readChallenge(c.var.deps, id);
  if (!challenge) return null;
  return { id, challenge, enroll: challenge.kind === "enroll" ? ((await enrollmentOf(c.var.deps, id, challenge)) ?? undefined) : undefined };
}

authPages.get("/login/two-factor", async (c) => {
  const view = await twoFactorView(c);
  if (!view) return c.redirect("/login", 303);
  return c.render(<TwoFactorPage enroll={view.enroll} />, { title: "Two-factor authentication", narrow: true });
});

const TwoFactorForm = z.object({
  code: z.optional(z.string().check(z.trim(), z.maxLength(20))),
  recoveryCode: z.optional(z.string().check(z.trim(), z.maxLength(40))),
});

authPages.post("/login/two-factor", async (c) => {
  const view = await twoFactorView(c);
  if (!view) return c.redirect("/login", 303);
  return formAction(c, {
    schema: TwoFactorForm,
    run: async (data) => {
      const code = data.code || undefined;
      const recoveryCode = code ? undefined : data.recoveryCode || undefined;
      if (!code && !recoveryCode) throw new AppError("VALIDATION_FAILED", "", { code: "Enter the 6-digit code from your authenticator app." });
      const signedIn = await completeSignIn(c.var.deps, { challenge: view.id, code, recoveryCode }, c.req.header("user-agent") ?? null, view.challenge);
      clearCookie(c, CHALLENGE_COOKIE);
      writeCookie(c, SESSION_COOKIE, signedIn.sessionSecret);
      const next = signedIn.next ?? "/";
      if (signedIn.recoveryCodes) return c.render(<RecoveryCodesPage codes={signedIn.recoveryCodes} next={next} />, { title: "Recovery codes", narrow: true });
      return c.redirect(next, 303);
    },
    render: (s) => c.render(<TwoFactorPage enroll={view.enroll} {...s} />, { title: "Two-factor authentication", narrow: true }),
  });
});

authPages.post("/logout", async (c) => {
  const secret = readCookie(c, SESSION_COOKIE);
  if (secret && c.var.session && c.var.actor) await endSession(c.var.deps, secret, c.var.session, c.var.actor);
  clearCookie(c, SESSION_COOKIE);
  return seeOther(c, "/login", SIGNED_OUT);
});

/** Why the link does not work, with the next step that helps (none for a withdrawn invitation). */
function ActivationProblemPage(p: { error: AppError }) {
  const next = p.error instanceof ActivationLinkError ? ACTIVATION_PROBLEMS[p.error.problem].next : NEW_ACTIVATION_LINK;
  return <LinkProblemPage title="Activation link not valid" message={p.error.message} action={next ?? undefined} />;
}

authPages.use("/activate", noReferrer);
authPages.get("/activate", async (c) => {
  const token = c.req.query("token") ?? "";
  try {
    const { user } = await findInvitation(c.var.deps, token);
    return c.render(<ActivatePage token={token} email={user.email} policyVersion={c.var.deps.config.privacyPolicyVersion} values={{}} />, { title: "Activate your account", narrow: true });
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    c.status(e.status as 400);
    return c.render(<ActivationProblemPage error={e} />, { title: "Activation", narrow: true });
  }
});

authPages.post("/activate", (c) =>
  formAction(c, {
    schema: AcceptInvitationInput,
    shape: (v) => ({ token: v.token, password: v.password ?? "", acceptPrivacyPolicy: checkbox(v.acceptPrivacyPolicy) }),
    run: async (data) => {
      await acceptInvitation(c.var.deps, data);
      return seeOther(c, "/login", "Your account is created. Sign in to set up two-factor authentication.");
    },
    render: async (s) => {
      const token = s.values.token ?? "";
      const found = await findInvitation(c.var.deps, token).then(
        (r) => ({ email: r.user.email }),
        (e: unknown) => ({ error: e instanceof AppError ? e : new AppError("INVALID_TOKEN", s.message ?? "This activation link is no longer valid.") }),
      );
      if ("error" in found) return c.render(<ActivationProblemPage error={found.error} />, { title: "Activation", narrow: true });
      const { email } = found;
      return c.render(<ActivatePage token={token} email={email} policyVersion={c.var.deps.config.privacyPolicyVersion} {...s} />, { title: "Activate your account", narrow: true });
    },
  }),
);

authPages.get("/forgot-password", (c) => c.render(<ForgotPasswordPage />, { title: "Forgot password", narrow: true }));
authPages.post("/forgot-password", (c) =>
  formAction(c, {
    schema: ForgotPasswordInput,
    run: async (data) => {
      await requestPasswordReset(c.var.deps, data);
      return c.render(<ForgotPasswordPage sent />, { title: "Forgot password", narrow: true });
    },
    render: (s) => c.render(<ForgotPasswordPage {...s} />, { title: "Forgot password", narrow: true }),
  }),
);

authPages.use("/reset-password", noReferrer);
authPages.get("/reset-password", async (c) => {
  const token = c.req.query("token") ?? "";
  try {
    const { user } = await findPasswordReset(c.var.deps, token);
    return c.render(<ResetPasswordPage token={token} email={user.email} />, { title: "New password", narrow: true });
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    c.status(e.status as 400);
    return c.render(<LinkProblemPage title="Reset link not valid" message={e.message} action={{ href: "/forgot-password", label: "Ask for a new link" }} />, { title: "Reset password", narrow: true });
  }
});
authPages.post("/reset-password", (c) =>
  formAction(c, {
    schema: ResetPasswordInput,
    shape: (v) => ({ token: v.token ?? "", password: v.password ?? "" }),
    run: async (data) => {
      await resetPassword(c.var.deps, data);
      clearCookie(c, SESSION_COOKIE);
      return seeOther(c, "/login", "Your password is changed. Sign in with it and your authenticator app.");
    },
    render: async (s) => {
      const token = s.values.token ?? "";
      const email = await findPasswordReset(c.var.deps, token).then((r) => r.user.email, () => null);
      if (!email) return c.render(<LinkProblemPage title="Reset link not valid" message={s.message ?? "This reset link is no longer valid."} action={{ href: "/forgot-password", label: "Ask for a new link" }} />, { title: "Reset password", narrow: true });
      return c.render(<ResetPasswordPage token={token} email={email} {...s} />, { title: "New password", narrow: true });
    },
  }),
);

authPages.get("/privacy", (c) =>
  c.render(<PrivacyPage version={c.var.deps.config.privacyPolicyVersion} appName={c.var.deps.config.appName} />, { title: "Privacy policy" }),
);
