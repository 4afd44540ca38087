// /api/v1/tokens: personal Reporting API tokens (F-52), managed with the
// browser session only — a token never authenticates here (only on /api/v1/reports).
import { Hono } from "hono";
import type { AppEnv } from "../../env";
import type { Actor } from "../../domain/actor";
import { jsonBody, queryParams } from "../../lib/validate";
import { requireAnalyticsApi } from "../../middleware/require-analytics";
import { CreateTokenInput, createApiToken, ListTokensInput, listApiTokens, revokeApiToken } from "../../services/api-tokens";

type Authed = AppEnv & { Variables: { actor: Actor } };
export const tokensApi = new Hono<Authed>();
tokensApi.use(...requireAnalyticsApi);

tokensApi.get("/", queryParams(ListTokensInput), async (c) => c.json(await listApiTokens(c.var.deps, c.var.actor, c.req.valid("query"))));
/** 201 with the secret: shown in this answer only. */
tokensApi.post("/", jsonBody(CreateTokenInput), async (c) => c.json(await createApiToken(c.var.deps, c.var.actor, c.req.valid("json")), 201));
tokensApi.delete("/:id", async (c) => {
  await revokeApiToken(c.var.deps, c.var.actor, c.req.param("id"));
  return c.body(null, 204);
});
