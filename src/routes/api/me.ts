// The signed-in account: profile, what waits on it (the home page's list),
// sessions, password and recovery codes.
import { Hono } from "hono";
import type { AppEnv } from "../../env";
import type { Actor } from "../../domain/actor";
import { SESSION_COOKIE, writeCookie } from "../../lib/cookies";
import { jsonBody } from "../../lib/validate";
import { requireApiSession } from "../../middleware/require-auth";
import { changePassword, ChangePasswordInput, getMe, regenerateRecoveryCodes, RegenerateCodesInput } from "../../services/account";
import { homeAttention } from "../../services/home";
import { listSessions, revokeAllSessions, revokeSession } from "../../services/sessions";

type Authed = AppEnv & { Variables: { actor: Actor } };
export const meApi = new Hono<Authed>();
meApi.use(requireApiSession);

meApi.get("/", async (c) => c.json(await getMe(c.var.deps, c.var.actor)));
meApi.get("/attention", async (c) => c.json({ items: await homeAttention(c.var.deps, c.var.actor) }));
meApi.get("/sessions", async (c) => c.json({ items: await listSessions(c.var.deps, c.var.actor, c.var.session?.id) }));
meApi.delete("/sessions/:id", async (c) => {
  await revokeSession(c.var.deps, c.var.actor, c.req.param("id"));
  return c.body(null, 204);
});
meApi.post("/sessions/revoke-all", async (c) => {
  await revokeAllSessions(c.var.deps, c.var.actor);
  return c.body(null, 204);
});
meApi.post("/password", jsonBody(ChangePasswordInput), async (c) => {
  // Every other session ended; this one continues under a fresh id, minted in the change's batch.
  const { secret } = await changePassword(c.var.deps, c.var.actor, c.req.valid("json"), c.req.header("user-agent") ?? null, c.var.credentials);
  writeCookie(c, SESSION_COOKIE, secret);
  return c.json({ ok: true });
});
meApi.post("/recovery-codes", jsonBody(RegenerateCodesInput), async (c) =>
  c.json({ recoveryCodes: await regenerateRecoveryCodes(c.var.deps, c.var.actor, c.req.valid("json"), c.var.credentials) }),
);
