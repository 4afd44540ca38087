// F-44 module pages (relative to /analytics): the same services as the JSON
// API in routes/api/analytics/modules.ts, rendered. Forms appear only for the
// module in full; the services refuse writes without it either way. Forms work
// without JavaScript (303 back with a notice, or the page again with errors
// and the typed values); htmx row actions answer the row to swap.
import { Hono, type Context } from "hono";
import type { Child } from "hono/jsx";
import { RequestContext } from "hono/jsx-renderer";
import type * as z from "../../../lib/zod";
import type { AppEnv } from "../../../env";
import type { Actor } from "../../../domain/actor";
import { canUseModule, type Module } from "../../../domain/analytics";
import { AppError, validationError } from "../../../lib/errors";
import { fieldsFromZod } from "../../../lib/validate";
import { addBlock, BlockInput, blocksPage, deleteSiteData, DeleteSiteDataForm, ListBlocksInput, removeBlock } from "../../../services/analytics-blocks";
import { BillingInput, getBilling, updateBilling } from "../../../services/analytics-billing";
import { addCampaign, CampaignInput, deleteCampaign, getCampaign, listCampaigns, ListCampaignsInput, updateCampaign, UpdateCampaignInput } from "../../../services/analytics-campaigns";
import { DeveloperSettingsInput, generateAesKeyWithSettings, getDeveloperSettings, updateDeveloperSettings, type DeveloperSettings } from "../../../services/analytics-developer";
import {
  addLicenseKey,
  deleteLicenseKey,
  getLicenseKey,
  LicenseKeyInput,
  listLicenseKeys,
  ListLicenseKeysInput,
  updateLicenseKey,
  UpdateLicenseKeyInput,
} from "../../../services/analytics-license-keys";
import { getQuota } from "../../../services/analytics-quota";
import { BillingPage } from "../../../../views/analytics/modules/billing";
import { BlocksPage, RemovedBlockRow } from "../../../../views/analytics/modules/blocks";
import { CampaignRow, CampaignsPage, DeletedCampaignRow } from "../../../../views/analytics/modules/campaigns";
import { DeveloperSettingsPage } from "../../../../views/analytics/modules/developer";
import { DeletedLicenseKeyRow, LicenseKeyRow, LicenseKeysPage } from "../../../../views/analytics/modules/license-keys";
import { QuotaPage } from "../../../../views/analytics/modules/quota";
import { seeOther } from "../flash";
import { formAction, type FormState } from "../form-action";

type Authed = AppEnv & { Variables: { actor: Actor } };
type C = Context<Authed>;
export const modulePages = new Hono<Authed>();

// ---------------------------------------------------------------- shared

const isHx = (c: C) => Boolean(c.req.header("hx-request"));

/** An htmx fragment: outside c.render, so the request context (CSRF fields) is provided here. */
const fragment = (c: C, node: Child, status?: number) => {
  if (status) c.status(status as 200);
  return c.html(<RequestContext.Provider value={c}>{node}</RequestContext.Provider>);
};

/** An expected refusal (403, 404, 409, 422 …) that a page can show in place. */
const isShowable = (e: unknown): e is AppError => e instanceof AppError && e.status < 500 && e.code !== "UNAUTHENTICATED";

/** Whether the page shows its forms: the module in full (owners and Product Administrators always). */
const canWrite = (c: C, module: Module) => canUseModule(c.var.actor, c.var.actor.modules, module, "write");

/** The list query of a page; an empty filter field means no filter, a malformed one falls back to the defaults. */
function listQuery<T extends z.ZodMiniType>(c: C, schema: T): z.infer<T> {
  const sent = Object.fromEntries(Object.entries(c.req.query()).filter(([, v]) => v.trim() !== ""));
  const parsed = schema.safeParse(sent);
  return parsed.success ? parsed.data : schema.parse({});
}

/**
 * One row action. htmx gets the row to swap in — the result, or the refusal
 * inside the current row (marked X-Swap-Error so public/js/app.js swaps it);
 * without JavaScript the browser is sent back to the page, which then says
 * what was done, or shown the page again with the refusal.
 */
async function rowAction(
  c: C,
  o: { run: () => Promise<Child>; back: string; said: string; refusedRow?: (message: string) => Promise<Child>; page: (error: string) => Promise<Response> },
) {
  try {
    const row = await o.run();
    return isHx(c) ? fragment(c, row) : seeOther(c, o.back, o.said);
  } catch (e) {
    if (!isShowable(e)) throw e;
    if (!isHx(c)) {
      c.status(e.status as 400);
      return o.page(e.message);
    }
    const row = o.refusedRow ? await o.refusedRow(e.message).catch(() => null) : null;
    if (!row) throw e;
    c.header("X-Swap-Error", "row");
    return fragment(c, row, e.status);
  }
}

/** A row action's body field, validated with the service's schema (422 with fields when wrong). */
async function bodyField<T extends z.ZodMiniType>(c: C, schema: T, field: string): Promise<z.infer<T>> {
  const body = await c.req.parseBody();
  const value = typeof body[field] === "string" ? body[field] : undefined;
  const parsed = schema.safeParse({ [field]: value });
  if (!parsed.success) throw validationError(fieldsFromZod(parsed.error));
  return parsed.data;
}

const fromPath = (c: C) => c.req.param("id")!;

// ---------------------------------------------------------------- Product Administrator: blocks and data deletion

async function renderBlocks(c: C, extra: { error?: string; add?: FormState; deleteData?: FormState } = {}) {
  const { deps, actor } = c.var;
  const query = listQuery(c, ListBlocksInput);
  const { list, sites } = await blocksPage(deps, actor, query);
  return c.render(
    <BlocksPage
      items={list.items}
      page={list.page}
      q={query.q}
      sites={sites.items}
      error={extra.error}
      forms={{ add: extra.add, deleteData: extra.deleteData }}
    />,
    { title: "Blocked clients and data" },
  );
}

modulePages.get("/blocks", (c) => renderBlocks(c));

modulePages.post("/blocks", (c) =>
  formAction(c, {
    schema: BlockInput,
    shape: (v) => ({ kind: v.kind, value: v.value }),
    run: async (data) => {
      await addBlock(c.var.deps, c.var.actor, data);
      return seeOther(c, "/analytics/blocks", "Blocked. Collection refuses it from now on.");
    },
    render: (s) => renderBlocks(c, { add: s }),
  }),
);

modulePages.post("/blocks/delete-data", (c) =>
  formAction(c, {
    schema: DeleteSiteDataForm,
    shape: (v) => ({ siteId: v.siteId ?? "", from: v.from, to: v.to }),
    run: async ({ siteId, from, to }) => {
      const { deleted } = await deleteSiteData(c.var.deps, c.var.actor, siteId, { from, to });
      return seeOther(c, "/analytics/blocks", `Deleted ${deleted} daily ${deleted === 1 ? "record" : "records"} of collected data.`);
    },
    render: (s) => renderBlocks(c, { deleteData: s }),
  }),
);

modulePages.post("/blocks/:id/remove", (c) =>
  rowAction(c, {
    run: async () => <RemovedBlockRow block={(await removeBlock(c.var.deps, c.var.actor, fromPath(c))).block} />,
    back: "/analytics/blocks",
    said: "Unblocked.",
    page: (error) => renderBlocks(c, { error }),
  }),
);

// ---------------------------------------------------------------- Developer

async function renderDeveloper(c: C, extra: { form?: FormState; newAesKey?: string } = {}, settings?: DeveloperSettings) {
  const [{ developer }, writable] = await Promise.all([settings ? { developer: settings } : getDeveloperSettings(c.var.deps, c.var.actor), canWrite(c, "developer")]);
  return c.render(<DeveloperSettingsPage settings={developer} canWrite={writable} {...extra} />, { title: "Developer settings" });
}

modulePages.get("/settings", (c) => renderDeveloper(c));

modulePages.post("/settings", (c) =>
  formAction(c, {
    schema: DeveloperSettingsInput,
    shape: (v) => ({
      callHomeUrl: v.callHomeUrl ?? "",
      // One per line or comma-separated; an empty field means the defaults.
      allowedEvents: v.allowedEvents?.trim() ? v.allowedEvents.split(/[\s,]+/).filter(Boolean) : null,
    }),
    run: async (data) => {
      await updateDeveloperSettings(c.var.deps, c.var.actor, data);
      return seeOther(c, "/analytics/settings", "Settings saved.");
    },
    render: (s) => renderDeveloper(c, { form: s }),
  }),
);

// The key is in this one response and nowhere else (pages are sent no-store).
modulePages.post("/settings/aes-key", async (c) => {
  // The settings as the write left them come back with the key: no read after.
  const { aesKey, developer } = await generateAesKeyWithSettings(c.var.deps, c.var.actor);
  return renderDeveloper(c, { newAesKey: aesKey }, developer);
});

// ---------------------------------------------------------------- Quota Usage

modulePages.get("/quota", async (c) => c.render(<QuotaPage quota={await getQuota(c.var.deps, c.var.actor)} />, { title: "Quota usage" }));

// ---------------------------------------------------------------- Billing

async function renderBilling(c: C, extra: { form?: FormState } = {}) {
  const [{ billing }, writable] = await Promise.all([getBilling(c.var.deps, c.var.actor), canWrite(c, "billing")]);
  return c.render(<BillingPage billing={billing} canWrite={writable} {...extra} />, { title: "Billing" });
}

modulePages.get("/billing", (c) => renderBilling(c));

modulePages.post("/billing", (c) =>
  formAction(c, {
    schema: BillingInput,
    shape: (v) => ({ billingName: v.billingName, billingEmail: v.billingEmail, billingAddress: v.billingAddress, vatId: v.vatId ?? "" }),
    run: async (data) => {
      await updateBilling(c.var.deps, c.var.actor, data);
      return seeOther(c, "/analytics/billing", "Billing details saved.");
    },
    render: (s) => renderBilling(c, { form: s }),
  }),
);

// ---------------------------------------------------------------- License Key Management

async function renderLicenseKeys(c: C, extra: { error?: string; form?: FormState } = {}) {
  const query = listQuery(c, ListLicenseKeysInput);
  const [list, writable] = await Promise.all([listLicenseKeys(c.var.deps, c.var.actor, query), canWrite(c, "license_key_management")]);
  return c.render(
    <LicenseKeysPage items={list.items} page={list.page} query={{ q: query.q, status: query.status }} canWrite={writable} {...extra} />,
    { title: "License keys" },
  );
}

const licenseKeyRow = async (c: C, extra: { message?: string; error?: boolean; form?: FormState } = {}) => {
  const { licenseKey } = await getLicenseKey(c.var.deps, c.var.actor, fromPath(c));
  return <LicenseKeyRow licenseKey={licenseKey} canWrite={canWrite(c, "license_key_management")} {...extra} />;
};

modulePages.get("/license-keys", (c) => renderLicenseKeys(c));

modulePages.post("/license-keys", (c) =>
  formAction(c, {
    schema: LicenseKeyInput,
    shape: (v) => ({ key: v.key, label: v.label }),
    run: async (data) => {
      const { licenseKey } = await addLicenseKey(c.var.deps, c.var.actor, data);
      return seeOther(c, "/analytics/license-keys", `License key ${licenseKey.key} added.`);
    },
    render: (s) => renderLicenseKeys(c, { form: s }),
  }),
);

// Relabel (label field) or revoke / reactivate (status field), from the row.
modulePages.post("/license-keys/:id", (c) =>
  formAction(c, {
    schema: UpdateLicenseKeyInput,
    shape: (v) => ({ label: v.label, status: v.status }),
    run: async (data) => {
      const { licenseKey } = await updateLicenseKey(c.var.deps, c.var.actor, fromPath(c), data);
      const message = data.status === "revoked" ? "Revoked." : data.status === "active" ? "Active." : "Saved.";
      if (!isHx(c)) return seeOther(c, "/analytics/license-keys", `License key ${licenseKey.key}: ${message}`);
      return fragment(c, <LicenseKeyRow licenseKey={licenseKey} canWrite message={message} />);
    },
    render: async (s) => {
      if (!isHx(c)) return renderLicenseKeys(c, { error: s.message ?? Object.values(s.errors ?? {}).join(" ") });
      c.header("X-Swap-Error", "row");
      return fragment(c, await licenseKeyRow(c, { form: s, message: s.message, error: true }));
    },
  }),
);

modulePages.post("/license-keys/:id/delete", (c) =>
  rowAction(c, {
    run: async () => <DeletedLicenseKeyRow licenseKey={(await deleteLicenseKey(c.var.deps, c.var.actor, fromPath(c))).licenseKey} />,
    back: "/analytics/license-keys",
    said: "License key deleted.",
    refusedRow: (message) => licenseKeyRow(c, { message, error: true }),
    page: (error) => renderLicenseKeys(c, { error }),
  }),
);

// ---------------------------------------------------------------- ReachOut

async function renderCampaigns(c: C, extra: { error?: string; add?: FormState; edit?: { id: string; form: FormState } } = {}) {
  const query = listQuery(c, ListCampaignsInput);
  const [list, writable] = await Promise.all([listCampaigns(c.var.deps, c.var.actor, query), canWrite(c, "reachout")]);
  return c.render(
    <CampaignsPage items={list.items} page={list.page} query={{ q: query.q, status: query.status }} canWrite={writable} {...extra} />,
    { title: "ReachOut campaigns" },
  );
}

const campaignRow = async (c: C, extra: { message?: string; error?: boolean } = {}) => {
  const { campaign } = await getCampaign(c.var.deps, c.var.actor, fromPath(c));
  return <CampaignRow campaign={campaign} canWrite={canWrite(c, "reachout")} {...extra} />;
};

modulePages.get("/campaigns", (c) => renderCampaigns(c));

modulePages.post("/campaigns", (c) =>
  formAction(c, {
    schema: CampaignInput,
    shape: (v) => ({ name: v.name, message: v.message }),
    run: async (data) => {
      await addCampaign(c.var.deps, c.var.actor, data);
      return seeOther(c, "/analytics/campaigns", "Campaign added as a draft.");
    },
    render: (s) => renderCampaigns(c, { add: s }),
  }),
);

// The edit form (name and message) is a plain form inside the row.
modulePages.post("/campaigns/:id", (c) =>
  formAction(c, {
    schema: UpdateCampaignInput,
    shape: (v) => ({ name: v.name, message: v.message }),
    run: async (data) => {
      await updateCampaign(c.var.deps, c.var.actor, fromPath(c), data);
      return seeOther(c, "/analytics/campaigns", "Campaign saved.");
    },
    render: (s) => renderCampaigns(c, { edit: { id: fromPath(c), form: s }, error: s.message }),
  }),
);

modulePages.post("/campaigns/:id/status", (c) =>
  rowAction(c, {
    run: async () => {
      const { status } = await bodyField(c, UpdateCampaignInput, "status");
      const { campaign } = await updateCampaign(c.var.deps, c.var.actor, fromPath(c), { status });
      return <CampaignRow campaign={campaign} canWrite message={campaign.status === "active" ? "Started." : "Ended."} />;
    },
    back: "/analytics/campaigns",
    said: "Campaign saved.",
    refusedRow: (message) => campaignRow(c, { message, error: true }),
    page: (error) => renderCampaigns(c, { error }),
  }),
);

modulePages.post("/campaigns/:id/delete", (c) =>
  rowAction(c, {
    run: async () => <DeletedCampaignRow campaign={(await deleteCampaign(c.var.deps, c.var.actor, fromPath(c))).campaign} />,
    back: "/analytics/campaigns",
    said: "Draft deleted.",
    refusedRow: (message) => campaignRow(c, { message, error: true }),
    page: (error) => renderCampaigns(c, { error }),
  }),
);
