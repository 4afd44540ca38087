// F-44: the module-guarded features of the analytics workspace, as JSON.
// Handlers validate and call the service; the module check (requireModule)
// and the workspace scope live there. Paths are relative to /api/v1/analytics.
import { Hono } from "hono";
import type { AppEnv } from "../../../env";
import type { Actor } from "../../../domain/actor";
import { jsonBody, queryParams } from "../../../lib/validate";
import { addBlock, BlockInput, DeleteDataInput, deleteSiteData, listBlocks, ListBlocksInput, removeBlock } from "../../../services/analytics-blocks";
import { getBilling, BillingInput, updateBilling } from "../../../services/analytics-billing";
import { addCampaign, CampaignInput, deleteCampaign, getCampaign, listCampaigns, ListCampaignsInput, updateCampaign, UpdateCampaignInput } from "../../../services/analytics-campaigns";
import { DeveloperSettingsInput, generateAesKey, getDeveloperSettings, updateDeveloperSettings } from "../../../services/analytics-developer";
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

type Authed = AppEnv & { Variables: { actor: Actor } };
export const modulesApi = new Hono<Authed>();

// Product Administrator: blocks and data deletion.
modulesApi.get("/blocks", queryParams(ListBlocksInput), async (c) => c.json(await listBlocks(c.var.deps, c.var.actor, c.req.valid("query"))));
modulesApi.post("/blocks", jsonBody(BlockInput), async (c) => c.json(await addBlock(c.var.deps, c.var.actor, c.req.valid("json")), 201));
modulesApi.delete("/blocks/:id", async (c) => {
  await removeBlock(c.var.deps, c.var.actor, c.req.param("id"));
  return c.body(null, 204);
});
modulesApi.delete("/sites/:id/data", queryParams(DeleteDataInput), async (c) =>
  c.json(await deleteSiteData(c.var.deps, c.var.actor, c.req.param("id"), c.req.valid("query"))),
);

// Developer.
modulesApi.get("/settings/developer", async (c) => c.json(await getDeveloperSettings(c.var.deps, c.var.actor)));
modulesApi.put("/settings/developer", jsonBody(DeveloperSettingsInput), async (c) => c.json(await updateDeveloperSettings(c.var.deps, c.var.actor, c.req.valid("json"))));
modulesApi.post("/settings/developer/aes-key", async (c) => c.json(await generateAesKey(c.var.deps, c.var.actor), 201));

// Quota Usage.
modulesApi.get("/quota", async (c) => c.json(await getQuota(c.var.deps, c.var.actor)));

// Billing.
modulesApi.get("/billing", async (c) => c.json(await getBilling(c.var.deps, c.var.actor)));
modulesApi.put("/billing", jsonBody(BillingInput), async (c) => c.json(await updateBilling(c.var.deps, c.var.actor, c.req.valid("json"))));

// License Key Management.
modulesApi.get("/license-keys", queryParams(ListLicenseKeysInput), async (c) => c.json(await listLicenseKeys(c.var.deps, c.var.actor, c.req.valid("query"))));
modulesApi.post("/license-keys", jsonBody(LicenseKeyInput), async (c) => c.json(await addLicenseKey(c.var.deps, c.var.actor, c.req.valid("json")), 201));
modulesApi.get("/license-keys/:id", async (c) => c.json(await getLicenseKey(c.var.deps, c.var.actor, c.req.param("id"))));
modulesApi.patch("/license-keys/:id", jsonBody(UpdateLicenseKeyInput), async (c) =>
  c.json(await updateLicenseKey(c.var.deps, c.var.actor, c.req.param("id"), c.req.valid("json"))),
);
modulesApi.delete("/license-keys/:id", async (c) => {
  await deleteLicenseKey(c.var.deps, c.var.actor, c.req.param("id"));
  return c.body(null, 204);
});

// ReachOut.
modulesApi.get("/campaigns", queryParams(ListCampaignsInput), async (c) => c.json(await listCampaigns(c.var.deps, c.var.actor, c.req.valid("query"))));
modulesApi.post("/campaigns", jsonBody(CampaignInput), async (c) => c.json(await addCampaign(c.var.deps, c.var.actor, c.req.valid("json")), 201));
modulesApi.get("/campaigns/:id", async (c) => c.json(await getCampaign(c.var.deps, c.var.actor, c.req.param("id"))));
modulesApi.patch("/campaigns/:id", jsonBody(UpdateCampaignInput), async (c) =>
  c.json(await updateCampaign(c.var.deps, c.var.actor, c.req.param("id"), c.req.valid("json"))),
);
modulesApi.delete("/campaigns/:id", async (c) => {
  await deleteCampaign(c.var.deps, c.var.actor, c.req.param("id"));
  return c.body(null, 204);
});
