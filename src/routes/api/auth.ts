// JSON twins of setup, sign-in, activation and password reset (api.md "Setup and sign-in").
import { Hono } from "hono";
import type { AppEnv } from "../../env";
import { readCookie, clearCookie, SESSION_COOKIE, writeCookie } from "../../lib/cookies";
import { jsonBody } from "../../lib/validate";
import { noReferrer } from "../../middleware/security-headers";
import { completeSignIn, LoginInput, startLogin, TotpInput } from "../../services/auth";
import { acceptInvitation, AcceptInvitationInput } from "../../services/invitations";
import { ForgotPasswordInput, requestPasswordReset, resetPassword, ResetPasswordInput } from "../../services/password-reset";
import { endSession } from "../../services/sessions";
import { SetupInput, setupPortal } from "../../services/setup";

export const authApi = new Hono<AppEnv>();

authApi.post("/setup", jsonBody(SetupInput), async (c) => c.json(await setupPortal(c.var.deps, c.req.valid("json")), 201));

authApi.post("/auth/login", jsonBody(LoginInput), async (c) => c.json(await startLogin(c.var.deps, c.req.valid("json"))));

authApi.post("/auth/totp", jsonBody(TotpInput), async (c) => {
  const { sessionSecret, next: _next, ...result } = await completeSignIn(c.var.deps, c.req.valid("json"), c.req.header("user-agent") ?? null);
  writeCookie(c, SESSION_COOKIE, sessionSecret);
  return c.json(result);
});

authApi.post("/auth/logout", async (c) => {
  const secret = readCookie(c, SESSION_COOKIE);
  if (secret && c.var.session && c.var.actor) await endSession(c.var.deps, secret, c.var.session, c.var.actor);
  clearCookie(c, SESSION_COOKIE);
  return c.body(null, 204);
});

authApi.post("/auth/forgot-password", jsonBody(ForgotPasswordInput), async (c) => {
  await requestPasswordReset(c.var.deps, c.req.valid("json"));
  return c.json({ ok: true, message: "If an account uses that address, a link is on its way." }, 202);
});

authApi.use("/auth/reset-password", noReferrer);
authApi.post("/auth/reset-password", jsonBody(ResetPasswordInput), async (c) => {
  await resetPassword(c.var.deps, c.req.valid("json"));
  clearCookie(c, SESSION_COOKIE);
  return c.json({ ok: true });
});

authApi.use("/invitations/accept", noReferrer);
authApi.post("/invitations/accept", jsonBody(AcceptInvitationInput), async (c) => c.json({ ok: true, ...(await acceptInvitation(c.var.deps, c.req.valid("json"))) }));
