// Companies pages (F-30…F-33): the same services as the JSON API, rendered.
// Row actions answer an htmx fragment (the row or section to swap) and, without
// JavaScript, redirect back to the page with a notice.
import { Hono, type Context } from "hono";
import type { JSX } from "hono/jsx/jsx-runtime";
import { RequestContext } from "hono/jsx-renderer";
import type { AppEnv } from "../../env";
import type { Actor } from "../../domain/actor";
import { canViewCompanies } from "../../domain/companies";
import { SERVICE_INPUTS, SERVICE_KIND_KEYS, SERVICE_KINDS, type ServiceKind } from "../../domain/company-services";
import { canPurchase } from "../../domain/license-plans";
import { can } from "../../domain/roles";
import { csvResponse } from "../../lib/csv";
import { requirePageSession } from "../../middleware/require-auth";
import { addCompany, CompanyInput, editCompany, listCompanies, ListCompaniesInput, terminateCompany, terminateCompanyWithListItem } from "../../services/companies";
import { addService, addServiceWithList, companyPage, endService, getCompany, getHandout, handoutCsv, handoutFilename, type PublicService } from "../../services/company-services";
import { getPlan, OrderPlanInput, orderPlan, orderPlanWithList, renewPlan, UpdatePlanInput, updatePlan, type PublicPlan } from "../../services/license-plans";
import { CompaniesPage, CompanyPage, CompanyRow, HandoutPage, type CompanyPageProps } from "../../../views/companies";
import { ServiceRow, ServiceSection } from "../../../views/company-services";
import { PlanRow, PlansSection } from "../../../views/plans";
import { checkbox, formAction, type FormState } from "./form-action";
import { seeOther } from "./flash";

type Authed = AppEnv & { Variables: { actor: Actor } };
type C = Context<Authed>;
export const companyPages = new Hono<Authed>();
companyPages.use(requirePageSession);

const isHx = (c: C) => Boolean(c.req.header("hx-request"));

/**
 * An htmx fragment. Outside c.render() there is no request context, which the
 * forms need for their CSRF field, so the fragment is given one.
 */
const fragment = (c: C, node: JSX.Element) => c.html(<RequestContext.Provider value={c}>{node}</RequestContext.Provider>);
const number = (v: string | undefined) => (v === undefined || v.trim() === "" ? undefined : Number(v));

/** What a change says: on the page a plain form post is redirected to, or in the section htmx swaps. */
const SAID = {
  created: "Company added.",
  updated: "Company saved.",
  terminated: "Company terminated.",
  ordered: "License plan ordered. A confirmation is on its way to you by email.",
  planUpdated: "License plan saved.",
  renewed: "License plan renewed.",
  serviceAdded: (kind: ServiceKind) => `${SERVICE_KINDS[kind].label} added.`,
  serviceEnded: (kind: ServiceKind) => `${SERVICE_KINDS[kind].label} ${SERVICE_KINDS[kind].ended.toLowerCase()}.`,
};

const allowed = (actor: Actor): CompanyPageProps["allowed"] => ({
  manageCompanies: can(actor, "manageCompanies"),
  exportHandouts: can(actor, "exportHandouts"),
  kinds: Object.fromEntries(SERVICE_KIND_KEYS.map((k) => [k, can(actor, SERVICE_KINDS[k].permission)])) as Record<ServiceKind, boolean>,
  purchaser: canPurchase(actor),
});

// ---------------------------------------------------------------------------
// The list (F-30).

async function renderList(c: C, extra: { form?: FormState } = {}) {
  // An empty filter field ("Any" status, blank search) means no filter.
  const sent = Object.fromEntries(Object.entries(c.req.query()).filter(([, v]) => v.trim() !== ""));
  const parsed = ListCompaniesInput.safeParse(sent);
  const query = parsed.success ? parsed.data : ListCompaniesInput.parse({});
  const { items, page } = await listCompanies(c.var.deps, c.var.actor, query);
  const canManage = canViewCompanies(c.var.actor) && can(c.var.actor, "manageCompanies");
  return c.render(<CompaniesPage items={items} page={page} query={{ q: query.q, status: query.status }} canManage={canManage} form={extra.form} />, {
    title: "Companies",
  });
}

companyPages.get("/", (c) => renderList(c));

companyPages.post("/", (c) =>
  formAction(c, {
    schema: CompanyInput,
    run: async (data) => {
      const { company } = await addCompany(c.var.deps, c.var.actor, data);
      return seeOther(c, `/companies/${company.id}`, SAID.created);
    },
    render: (s) => renderList(c, { form: s }),
  }),
);

// ---------------------------------------------------------------------------
// One company (F-30, F-31, F-33).

async function renderCompany(c: C, extra: Pick<CompanyPageProps, "forms"> = {}) {
  const id = c.req.param("id")!;
  const { company, services, plans } = await companyPage(c.var.deps, c.var.actor, id);
  return c.render(<CompanyPage actor={c.var.actor} company={company} services={services} plans={plans.items} catalog={plans.catalog} allowed={allowed(c.var.actor)} {...extra} />, {
    title: company.name,
  });
}

companyPages.get("/:id", (c) => renderCompany(c));

companyPages.post("/:id", (c) =>
  formAction(c, {
    schema: CompanyInput,
    run: async (data) => {
      await editCompany(c.var.deps, c.var.actor, c.req.param("id"), data);
      return seeOther(c, `/companies/${c.req.param("id")}`, SAID.updated);
    },
    render: (s) => renderCompany(c, { forms: { edit: s } }),
  }),
);

companyPages.post("/:id/terminate", async (c) => {
  const id = c.req.param("id");
  if (isHx(c)) {
    // The list row comes back from the terminating batch itself.
    const { item } = await terminateCompanyWithListItem(c.var.deps, c.var.actor, id);
    return fragment(c, <CompanyRow company={item} canManage message="Terminated." />);
  }
  await terminateCompany(c.var.deps, c.var.actor, id);
  const body = await c.req.parseBody();
  return seeOther(c, body.from === "list" ? "/companies" : `/companies/${id}`, SAID.terminated);
});

// F-31: add and end, for every kind in SERVICE_KINDS.
const serviceSectionOf = (c: C, kind: ServiceKind, p: { companyId: string; items: PublicService[]; companyActive: boolean; notice?: string; form?: FormState }) =>
  fragment(c, <ServiceSection kind={kind} canManage={can(c.var.actor, SERVICE_KINDS[kind].permission)} {...p} />);

/** The section re-read, for a form that was refused. */
async function serviceSection(c: C, kind: ServiceKind, extra: { form?: FormState } = {}) {
  const { company, services } = await getCompany(c.var.deps, c.var.actor, c.req.param("id")!);
  return serviceSectionOf(c, kind, { companyId: company.id, items: services[kind], companyActive: company.status === "active", ...extra });
}

for (const kind of SERVICE_KIND_KEYS) {
  const { path, endVerb } = SERVICE_KINDS[kind];
  companyPages.post(`/:id/${path}`, (c) =>
    formAction(c, {
      schema: SERVICE_INPUTS[kind],
      run: async (data) => {
        if (isHx(c)) {
          // The section's list comes back from the adding batch; the company is active, or the add was refused.
          const { items } = await addServiceWithList(c.var.deps, c.var.actor, c.req.param("id"), kind, data);
          return serviceSectionOf(c, kind, { companyId: c.req.param("id"), items, companyActive: true, notice: SAID.serviceAdded(kind) });
        }
        await addService(c.var.deps, c.var.actor, c.req.param("id"), kind, data);
        return seeOther(c, `/companies/${c.req.param("id")}#svc-${kind}`, SAID.serviceAdded(kind));
      },
      render: (s) => (isHx(c) ? serviceSection(c, kind, { form: s }) : renderCompany(c, { forms: { [kind]: s } })),
    }),
  );
  companyPages.post(`/:id/${path}/:itemId/${endVerb}`, async (c) => {
    const { item } = await endService(c.var.deps, c.var.actor, c.req.param("id"), kind, c.req.param("itemId"));
    if (isHx(c)) return fragment(c, <ServiceRow companyId={item.companyId} kind={kind} item={item} canManage message={`${SERVICE_KINDS[kind].ended}.`} />);
    return seeOther(c, `/companies/${item.companyId}#svc-${kind}`, SAID.serviceEnded(kind));
  });
}

// ---------------------------------------------------------------------------
// F-32: the printable handout, and the same data as CSV.

companyPages.get("/:id/handout", async (c) => {
  const handout = await getHandout(c.var.deps, c.var.actor, c.req.param("id"));
  if (c.req.query("format") === "csv") return csvResponse(handoutCsv(handout), handoutFilename(handout));
  return c.render(<HandoutPage handout={handout} orgName={c.var.actor.orgName} />, { title: `Handout: ${handout.company.name}` });
});

// ---------------------------------------------------------------------------
// F-33: plans. The services refuse every write to non-Purchasers (403).

const plansSectionOf = (c: C, p: { companyId: string; plans: Awaited<ReturnType<typeof orderPlanWithList>>["plans"]; companyActive: boolean; notice?: string; form?: FormState }) =>
  fragment(c, <PlansSection companyId={p.companyId} plans={p.plans.items} catalog={p.plans.catalog} purchaser={canPurchase(c.var.actor)} companyActive={p.companyActive} notice={p.notice} form={p.form} />);

/** The section re-read, for a form that was refused. */
async function plansSection(c: C, extra: { form?: FormState } = {}) {
  const { company, plans } = await companyPage(c.var.deps, c.var.actor, c.req.param("id")!);
  return plansSectionOf(c, { companyId: company.id, plans, companyActive: company.status === "active", ...extra });
}

companyPages.post("/:id/plans", (c) =>
  formAction(c, {
    schema: OrderPlanInput,
    shape: (v) => ({ plan: v.plan, seats: number(v.seats) }),
    run: async (data) => {
      if (isHx(c)) {
        // The plans come back from the ordering batch; the company is active, or the order was refused.
        const { plans } = await orderPlanWithList(c.var.deps, c.var.actor, c.req.param("id"), data);
        return plansSectionOf(c, { companyId: c.req.param("id"), plans, companyActive: true, notice: SAID.ordered });
      }
      await orderPlan(c.var.deps, c.var.actor, c.req.param("id"), data);
      return seeOther(c, `/companies/${c.req.param("id")}#plans`, SAID.ordered);
    },
    render: (s) => (isHx(c) ? plansSection(c, { form: s }) : renderCompany(c, { forms: { order: s } })),
  }),
);

const planRowOf = (c: C, plan: PublicPlan, p: { companyActive: boolean; message?: string; form?: FormState }) =>
  fragment(c, <PlanRow companyId={plan.companyId} plan={plan} purchaser={canPurchase(c.var.actor)} {...p} />);

/** The row re-read, for a form that was refused. */
const planRow = async (c: C, extra: { form?: FormState } = {}) => {
  const { plan } = await getPlan(c.var.deps, c.var.actor, c.req.param("planId")!);
  const { company } = await getCompany(c.var.deps, c.var.actor, plan.companyId);
  return planRowOf(c, plan, { companyActive: company.status === "active", ...extra });
};

companyPages.post("/:id/plans/:planId", (c) =>
  formAction(c, {
    schema: UpdatePlanInput,
    shape: (v) => ({ seats: number(v.seats), autoRenew: checkbox(v.autoRenew) }),
    run: async (data) => {
      const { plan } = await updatePlan(c.var.deps, c.var.actor, c.req.param("planId"), data);
      // The row is the one the update returned: a plan changes only while its company is active.
      if (isHx(c)) return planRowOf(c, plan, { companyActive: true, message: "Saved." });
      return seeOther(c, `/companies/${plan.companyId}#plans`, SAID.planUpdated);
    },
    render: (s) => (isHx(c) ? planRow(c, { form: s }) : renderCompany(c, { forms: { plans: { [c.req.param("planId")]: s } } })),
  }),
);

companyPages.post("/:id/plans/:planId/renew", async (c) => {
  const { plan } = await renewPlan(c.var.deps, c.var.actor, c.req.param("planId"));
  if (isHx(c)) return planRowOf(c, plan, { companyActive: true, message: `Renewed until ${plan.renewsAt.slice(0, 10)}.` });
  return seeOther(c, `/companies/${plan.companyId}#plans`, SAID.renewed);
});
