// /api/v1/analytics access and owners (F-23, F-41). acceptApi is mounted
// before the AA = Y guard (an invited user has AA = I), so it brings its own
// session check; accessApi sits behind the guard.
import { Hono } from "hono";
import type { AppEnv } from "../../../env";
import type { Actor } from "../../../domain/actor";
import { jsonBody } from "../../../lib/validate";
import { requireApiSession } from "../../../middleware/require-auth";
import { acceptAnalyticsInvitation, SetOwnerInput, setAnalyticsOwner } from "../../../services/analytics-access";

type Authed = AppEnv & { Variables: { actor: Actor } };
export const accessApi = new Hono<Authed>();
export const acceptApi = new Hono<Authed>();

/** F-23: AA I → Y; `becameOwner` says whether the caller became the workspace's first owner (F-41). */
acceptApi.post("/accept", requireApiSession, async (c) => c.json(await acceptAnalyticsInvitation(c.var.deps, c.var.actor)));

/** F-41: owners only. */
accessApi.put("/users/:id/owner", jsonBody(SetOwnerInput), async (c) => {
  const { user, changed } = await setAnalyticsOwner(c.var.deps, c.var.actor, c.req.param("id"), c.req.valid("json"));
  return c.json({ user, changed });
});
