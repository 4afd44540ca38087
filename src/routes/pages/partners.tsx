// Partner access pages (F-60…F-65): /partners for customer organizations and
// /partner-dashboard for partner users. The same services as the JSON API;
// forms work without JavaScript (GET to search and pick, POST to change, then
// a redirect with a notice, or the page again with the errors beside their fields).
import { Hono, type Context } from "hono";
import type { AppEnv } from "../../env";
import type { Actor } from "../../domain/actor";
import { canManagePartnerGrants } from "../../domain/partner-access";
import { AppError } from "../../lib/errors";
import type { FormValues } from "../../lib/validate";
import { requirePageSession } from "../../middleware/require-auth";
import {
  editPartnerPage,
  getPartner,
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
import { PartnerCustomerPage, PartnerDashboardPage } from "../../../views/partner-dashboard";
import { EditPartnerPage, PartnersPage, pickedUserIds, RemovePartnerPage, type OrgPicker } from "../../../views/partners";
import { formAction, type FormState } from "./form-action";
import { seeOther } from "./flash";

type Authed = AppEnv & { Variables: { actor: Actor } };
type C = Context<Authed>;

/** An empty date field means "no end date" (null); in the edit form with mixed dates it means "keep each" (undefined). */
const expiryFrom = (values: FormValues, emptyMeans: null | undefined) => (values.expiresAt?.trim() ? values.expiresAt.trim() : emptyMeans);

// ---------------------------------------------------------------- /partners (customer organizations)

export const partnerPages = new Hono<Authed>();
partnerPages.use(requirePageSession);

const SAID = {
  granted: "Partner access granted. The partner users get an email.",
  updated: "Partner access saved.",
  removed: "Partner access removed. The partner users get an email.",
};

/** The "existing partner organization" steps from the query: the search, then the pick ("Next"). */
async function orgPicker(c: C, pickId: string | undefined): Promise<OrgPicker> {
  const { deps, actor } = c.var;
  if (!canManagePartnerGrants(actor)) return {};
  const parsed = ListPartnerOrgsInput.safeParse({ q: c.req.query("orgQ") || undefined });
  const orgQ = parsed.success ? parsed.data.q : undefined;
  const picker: OrgPicker = { orgQ };
  if (c.req.query("orgQ") !== undefined) picker.orgs = (await listPartnerOrganizations(deps, actor, { q: orgQ })).items;
  if (pickId) {
    try {
      picker.picked = await listPartnerOrganizationUsers(deps, actor, pickId).then((r) => ({ org: r.org, users: r.items }));
    } catch (e) {
      if (!(e instanceof AppError) || e.code !== "NOT_FOUND") throw e;
      picker.pickError = "That organization is not a channel partner (any more). Search again and pick one from the list.";
    }
  }
  return picker;
}

async function renderPartners(c: C, extra: { emailForm?: FormState; orgForm?: FormState; pickId?: string } = {}) {
  const { deps, actor } = c.var;
  const parsed = ListPartnersInput.safeParse({ q: c.req.method === "GET" ? c.req.query("q") || undefined : undefined });
  const q = parsed.success ? parsed.data.q : undefined;
  const [{ items }, picker] = await Promise.all([listPartners(deps, actor, { q }), orgPicker(c, extra.pickId ?? c.req.query("pick"))]);
  return c.render(
    <PartnersPage items={items} q={q} canManage={canManagePartnerGrants(actor)} emailForm={extra.emailForm} orgForm={extra.orgForm} picker={picker} />,
    { title: "Partners" },
  );
}

partnerPages.get("/", (c) => renderPartners(c));

// F-60, first mode: one partner user's email.
partnerPages.post("/", (c) =>
  formAction(c, {
    schema: GrantPartnerInput,
    shape: (v) => ({ email: v.email ?? "", expiresAt: expiryFrom(v, undefined) }),
    run: async (data) => {
      await grantPartnerAccess(c.var.deps, c.var.actor, data);
      return seeOther(c, "/partners", SAID.granted);
    },
    render: (s) => renderPartners(c, { emailForm: s }),
  }),
);

// F-60, second mode: an existing channel partner and the users ticked.
partnerPages.post("/organization", (c) =>
  formAction(c, {
    schema: GrantPartnerInput,
    shape: (v) => ({ orgId: v.orgId ?? "", userIds: pickedUserIds(v), expiresAt: expiryFrom(v, undefined) }),
    run: async (data) => {
      await grantPartnerAccess(c.var.deps, c.var.actor, data);
      return seeOther(c, "/partners", SAID.granted);
    },
    // An organization that cannot be picked (any more) is explained where it was picked; the rest beside the fields.
    render: (s) => renderPartners(c, { orgForm: s, pickId: s.values.orgId || undefined }),
  }),
);

// F-63: edit (checkboxes and end date).
async function renderEdit(c: C, form?: FormState) {
  const { deps, actor } = c.var;
  const orgId = c.req.param("orgId")!;
  const { partner, users } = await editPartnerPage(deps, actor, orgId);
  return c.render(<EditPartnerPage entry={partner} users={users} form={form} />, { title: `Edit partner access: ${partner.org.name}` });
}

partnerPages.get("/:orgId/edit", (c) => {
  if (!canManagePartnerGrants(c.var.actor)) throw new AppError("FORBIDDEN", "Read-only users can see partner access but not change it.");
  return renderEdit(c);
});

partnerPages.post("/:orgId", (c) =>
  formAction(c, {
    schema: UpdatePartnerInput,
    shape: (v) => ({ userIds: pickedUserIds(v), expiresAt: expiryFrom(v, v.expiryMixed ? undefined : null) }),
    run: async (data) => {
      const { partner } = await updatePartnerAccess(c.var.deps, c.var.actor, c.req.param("orgId"), data);
      return seeOther(c, "/partners", partner ? SAID.updated : SAID.removed);
    },
    render: (s) => renderEdit(c, s),
  }),
);

// F-63: remove, after a confirmation page (works without JavaScript).
partnerPages.get("/:orgId/remove", async (c) => {
  if (!canManagePartnerGrants(c.var.actor)) throw new AppError("FORBIDDEN", "Read-only users can see partner access but not change it.");
  const { partner } = await getPartner(c.var.deps, c.var.actor, c.req.param("orgId"));
  return c.render(<RemovePartnerPage entry={partner} />, { title: `Remove partner access: ${partner.org.name}` });
});

partnerPages.post("/:orgId/remove", async (c) => {
  await removePartnerAccess(c.var.deps, c.var.actor, c.req.param("orgId"));
  return seeOther(c, "/partners", SAID.removed);
});

// ---------------------------------------------------------------- /partner-dashboard (partner users)

export const partnerDashboardPages = new Hono<Authed>();
partnerDashboardPages.use(requirePageSession);

partnerDashboardPages.get("/", async (c) => {
  const { customers, window } = await partnerDashboard(c.var.deps, c.var.actor);
  return c.render(<PartnerDashboardPage customers={customers} window={window} />, { title: "Partner dashboard" });
});

partnerDashboardPages.get("/:orgId", async (c) => {
  const { customer, sites, window } = await partnerCustomer(c.var.deps, c.var.actor, c.req.param("orgId"));
  return c.render(<PartnerCustomerPage customer={customer} sites={sites} window={window} />, { title: customer.org.name });
});
