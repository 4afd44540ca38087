// Organizations (operators, api.md "Organizations and requests").
import { Hono } from "hono";
import type { AppEnv } from "../../env";
import type { Actor } from "../../domain/actor";
import { jsonBody, queryParams } from "../../lib/validate";
import { requireApiSession } from "../../middleware/require-auth";
import { ListOrgsInput, listOrganizations, OnboardInput, onboardOrganization, UpdateOrgInput, updateOrganization } from "../../services/organizations";

type Authed = AppEnv & { Variables: { actor: Actor } };

export const orgsApi = new Hono<Authed>();
orgsApi.use(requireApiSession);
orgsApi.get("/", queryParams(ListOrgsInput), async (c) => c.json(await listOrganizations(c.var.deps, c.var.actor, c.req.valid("query"))));
orgsApi.post("/", jsonBody(OnboardInput), async (c) => c.json(await onboardOrganization(c.var.deps, c.var.actor, c.req.valid("json")), 201));
orgsApi.patch("/:id", jsonBody(UpdateOrgInput), async (c) => c.json(await updateOrganization(c.var.deps, c.var.actor, c.req.param("id"), c.req.valid("json"))));
