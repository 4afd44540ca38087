// Companies (F-30…F-33): the JSON twins of the companies pages. Handlers only
// validate and call the service; authorization and tenant scope live there.
import { Hono } from "hono";
import * as z from "../../lib/zod";
import type { AppEnv } from "../../env";
import type { Actor } from "../../domain/actor";
import { SERVICE_INPUTS, SERVICE_KIND_KEYS, SERVICE_KINDS } from "../../domain/company-services";
import { csvResponse } from "../../lib/csv";
import { jsonBody, queryParams } from "../../lib/validate";
import { requireApiSession } from "../../middleware/require-auth";
import { addCompany, CompanyInput, editCompany, listCompanies, ListCompaniesInput, terminateCompany } from "../../services/companies";
import { addService, endService, getCompany, getHandout, handoutCsv, handoutFilename, listServices } from "../../services/company-services";
import { getPlan, ListPlansInput, listPlans, OrderPlanInput, orderPlan, renewPlan, UpdatePlanInput, updatePlan } from "../../services/license-plans";

type Authed = AppEnv & { Variables: { actor: Actor } };
export const companiesApi = new Hono<Authed>();
companiesApi.use(requireApiSession);

companiesApi.get("/", queryParams(ListCompaniesInput), async (c) => c.json(await listCompanies(c.var.deps, c.var.actor, c.req.valid("query"))));
companiesApi.post("/", jsonBody(CompanyInput), async (c) => c.json(await addCompany(c.var.deps, c.var.actor, c.req.valid("json")), 201));
companiesApi.get("/:id", async (c) => c.json(await getCompany(c.var.deps, c.var.actor, c.req.param("id"))));
companiesApi.patch("/:id", jsonBody(CompanyInput), async (c) => c.json(await editCompany(c.var.deps, c.var.actor, c.req.param("id"), c.req.valid("json"))));
companiesApi.post("/:id/terminate", async (c) => c.json(await terminateCompany(c.var.deps, c.var.actor, c.req.param("id"))));

// F-31: one route set per service kind, from SERVICE_KINDS (paths and end verbs as api.md names them).
for (const kind of SERVICE_KIND_KEYS) {
  const { path, endVerb } = SERVICE_KINDS[kind];
  companiesApi.get(`/:id/${path}`, async (c) => c.json(await listServices(c.var.deps, c.var.actor, c.req.param("id"), kind)));
  companiesApi.post(`/:id/${path}`, jsonBody(SERVICE_INPUTS[kind]), async (c) =>
    c.json(await addService(c.var.deps, c.var.actor, c.req.param("id"), kind, c.req.valid("json")), 201),
  );
  companiesApi.post(`/:id/${path}/:itemId/${endVerb}`, async (c) =>
    c.json(await endService(c.var.deps, c.var.actor, c.req.param("id"), kind, c.req.param("itemId"))),
  );
}

// F-32: the handout as JSON, or CSV with ?format=csv.
const HandoutQuery = z.object({ format: z.optional(z.enum(["json", "csv"], { error: "Use format=json or format=csv." })) });
companiesApi.get("/:id/handout", queryParams(HandoutQuery), async (c) => {
  const handout = await getHandout(c.var.deps, c.var.actor, c.req.param("id"));
  if (c.req.valid("query").format === "csv") return csvResponse(handoutCsv(handout), handoutFilename(handout));
  return c.json(handout);
});

// F-33: plans of a company; prices and writes for Purchasers only (enforced in the service).
companiesApi.get("/:id/plans", queryParams(ListPlansInput), async (c) => c.json(await listPlans(c.var.deps, c.var.actor, c.req.param("id"), c.req.valid("query"))));
companiesApi.post("/:id/plans", jsonBody(OrderPlanInput), async (c) => c.json(await orderPlan(c.var.deps, c.var.actor, c.req.param("id"), c.req.valid("json")), 201));

export const plansApi = new Hono<Authed>();
plansApi.use(requireApiSession);
plansApi.get("/:id", async (c) => c.json(await getPlan(c.var.deps, c.var.actor, c.req.param("id"))));
plansApi.patch("/:id", jsonBody(UpdatePlanInput), async (c) => c.json(await updatePlan(c.var.deps, c.var.actor, c.req.param("id"), c.req.valid("json"))));
plansApi.post("/:id/renew", async (c) => c.json(await renewPlan(c.var.deps, c.var.actor, c.req.param("id"))));
