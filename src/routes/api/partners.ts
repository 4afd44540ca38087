// Partner access (F-60…F-65, F-95): the JSON twins of the /partners and
// /partner-dashboard pages. Authorization, tenant scope and the F-61 checks
// live in the services.
import { Hono } from "hono";
import type { Actor } from "../../domain/actor";
import type { AppEnv } from "../../env";
import { jsonBody, queryParams } from "../../lib/validate";
import { requireApiSession } from "../../middleware/require-auth";
import {
  GrantPartnerInput,
  grantPartnerAccess,
  ListPartnerOrgsInput,
  listPartnerOrganizations,
  listPartnerOrganizationUsers,
  ListPartnersInput,
  listPartners,
  removePartnerAccess,
  UpdatePartnerInput,
  updatePartnerAccess,
} from "../../services/partner-access";
import { partnerCustomer, partnerDashboard } from "../../services/partner-dashboard";

type Authed = AppEnv & { Variables: { actor: Actor } };

/** Mounted at /api/v1/partners: a customer organization's partners table. */
export const partnersApi = new Hono<Authed>();
partnersApi.use(requireApiSession);

partnersApi.get("/", queryParams(ListPartnersInput), async (c) => c.json(await listPartners(c.var.deps, c.var.actor, c.req.valid("query"))));
partnersApi.post("/", jsonBody(GrantPartnerInput), async (c) => c.json(await grantPartnerAccess(c.var.deps, c.var.actor, c.req.valid("json")), 201));
// Registered before /:orgId so "organizations" is never read as an id.
partnersApi.get("/organizations", queryParams(ListPartnerOrgsInput), async (c) => c.json(await listPartnerOrganizations(c.var.deps, c.var.actor, c.req.valid("query"))));
partnersApi.get("/organizations/:id/users", async (c) => c.json(await listPartnerOrganizationUsers(c.var.deps, c.var.actor, c.req.param("id"))));
partnersApi.put("/:orgId", jsonBody(UpdatePartnerInput), async (c) => c.json(await updatePartnerAccess(c.var.deps, c.var.actor, c.req.param("orgId"), c.req.valid("json"))));
partnersApi.delete("/:orgId", async (c) => {
  await removePartnerAccess(c.var.deps, c.var.actor, c.req.param("orgId"));
  return c.body(null, 204);
});

/** Mounted at /api/v1/partner-dashboard: what a partner user sees of the customers that granted them access. */
export const partnerDashboardApi = new Hono<Authed>();
partnerDashboardApi.use(requireApiSession);

partnerDashboardApi.get("/", async (c) => c.json(await partnerDashboard(c.var.deps, c.var.actor)));
partnerDashboardApi.get("/:orgId", async (c) => c.json(await partnerCustomer(c.var.deps, c.var.actor, c.req.param("orgId"))));
