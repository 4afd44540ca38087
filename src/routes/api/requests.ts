// Secondary-role requests (F-16): Partner Managers ask, operators decide.
import { Hono } from "hono";
import type { AppEnv } from "../../env";
import type { Actor } from "../../domain/actor";
import { jsonBody, queryParams } from "../../lib/validate";
import { requireApiSession } from "../../middleware/require-auth";
import { approveRoleRequest, CreateRequestInput, createRoleRequest, ListRequestsInput, listRoleRequests, rejectRoleRequest } from "../../services/role-requests";

type Authed = AppEnv & { Variables: { actor: Actor } };
export const requestsApi = new Hono<Authed>();
requestsApi.use(requireApiSession);

requestsApi.get("/", queryParams(ListRequestsInput), async (c) => c.json(await listRoleRequests(c.var.deps, c.var.actor, c.req.valid("query"))));
requestsApi.post("/", jsonBody(CreateRequestInput), async (c) => c.json(await createRoleRequest(c.var.deps, c.var.actor, c.req.valid("json")), 201));
requestsApi.post("/:id/approve", async (c) => c.json(await approveRoleRequest(c.var.deps, c.var.actor, c.req.param("id"))));
requestsApi.post("/:id/reject", async (c) => c.json(await rejectRoleRequest(c.var.deps, c.var.actor, c.req.param("id"))));
