// /api/v1/analytics (AA = Y, guarded in index.ts): the workspace — sites and
// apps, tags, meta sites, dashboards, segments, site and meta-site permission
// levels, and the module grid (F-40…F-44). Handlers validate and call the
// service; levels, ownership and tenant scope are enforced there.
import { Hono } from "hono";
import type { AppEnv } from "../../../env";
import type { Actor } from "../../../domain/actor";
import { jsonBody, queryParams } from "../../../lib/validate";
import {
  createMetaSite,
  CreateMetaSiteInput,
  DashboardInput,
  deleteMetaSite,
  getMetaSite,
  listMetaSites,
  saveDashboard,
  updateMetaSite,
  UpdateMetaSiteInput,
} from "../../../services/analytics-meta-sites";
import { createSegment, deleteSegment, listSegments, SegmentInput, updateSegment, UpdateSegmentInput } from "../../../services/analytics-segments";
import { getUserModules, listAnalyticsUsers, ModuleGridInput, setUserModules } from "../../../services/analytics-modules";
import {
  listMetaSitePermissions,
  listSitePermissions,
  MetaSiteLevelInput,
  setMetaSitePermission,
  setSitePermission,
  SiteLevelInput,
} from "../../../services/analytics-permissions";
import { createSite, CreateSiteInput, deleteSite, getSite, ListWorkspaceInput, listSites, updateSite, UpdateSiteInput } from "../../../services/analytics-sites";
import { createTag, CreateTagInput, getTag, listTags, publishTag, updateTag, UpdateTagInput } from "../../../services/analytics-tags";

type Authed = AppEnv & { Variables: { actor: Actor } };
export const workspaceApi = new Hono<Authed>();

// ---------------------------------------------------------------- sites (F-40, F-42)

workspaceApi.get("/sites", queryParams(ListWorkspaceInput), async (c) => c.json(await listSites(c.var.deps, c.var.actor, c.req.valid("query"))));
workspaceApi.post("/sites", jsonBody(CreateSiteInput), async (c) => c.json(await createSite(c.var.deps, c.var.actor, c.req.valid("json")), 201));
workspaceApi.get("/sites/:id", async (c) => c.json(await getSite(c.var.deps, c.var.actor, c.req.param("id"))));
workspaceApi.patch("/sites/:id", jsonBody(UpdateSiteInput), async (c) => c.json(await updateSite(c.var.deps, c.var.actor, c.req.param("id"), c.req.valid("json"))));
workspaceApi.delete("/sites/:id", async (c) => {
  await deleteSite(c.var.deps, c.var.actor, c.req.param("id"));
  return c.body(null, 204);
});

workspaceApi.get("/sites/:id/permissions", async (c) => c.json(await listSitePermissions(c.var.deps, c.var.actor, c.req.param("id"))));
workspaceApi.put("/sites/:id/permissions/:userId", jsonBody(SiteLevelInput), async (c) =>
  c.json(await setSitePermission(c.var.deps, c.var.actor, c.req.param("id"), c.req.param("userId"), c.req.valid("json"))),
);

// ---------------------------------------------------------------- tags (F-42)

workspaceApi.get("/sites/:id/tags", async (c) => c.json(await listTags(c.var.deps, c.var.actor, c.req.param("id"))));
workspaceApi.post("/sites/:id/tags", jsonBody(CreateTagInput), async (c) => c.json(await createTag(c.var.deps, c.var.actor, c.req.param("id"), c.req.valid("json")), 201));
workspaceApi.get("/tags/:id", async (c) => c.json(await getTag(c.var.deps, c.var.actor, c.req.param("id"))));
workspaceApi.patch("/tags/:id", jsonBody(UpdateTagInput), async (c) => c.json(await updateTag(c.var.deps, c.var.actor, c.req.param("id"), c.req.valid("json"))));
workspaceApi.post("/tags/:id/publish", async (c) => c.json(await publishTag(c.var.deps, c.var.actor, c.req.param("id"))));

// ---------------------------------------------------------------- meta sites (F-40, F-43)

workspaceApi.get("/meta-sites", queryParams(ListWorkspaceInput), async (c) => c.json(await listMetaSites(c.var.deps, c.var.actor, c.req.valid("query"))));
workspaceApi.post("/meta-sites", jsonBody(CreateMetaSiteInput), async (c) => c.json(await createMetaSite(c.var.deps, c.var.actor, c.req.valid("json")), 201));
workspaceApi.get("/meta-sites/:id", async (c) => c.json(await getMetaSite(c.var.deps, c.var.actor, c.req.param("id"))));
workspaceApi.patch("/meta-sites/:id", jsonBody(UpdateMetaSiteInput), async (c) =>
  c.json(await updateMetaSite(c.var.deps, c.var.actor, c.req.param("id"), c.req.valid("json"))),
);
workspaceApi.delete("/meta-sites/:id", async (c) => {
  await deleteMetaSite(c.var.deps, c.var.actor, c.req.param("id"));
  return c.body(null, 204);
});

workspaceApi.get("/meta-sites/:id/permissions", async (c) => c.json(await listMetaSitePermissions(c.var.deps, c.var.actor, c.req.param("id"))));
workspaceApi.put("/meta-sites/:id/permissions/:userId", jsonBody(MetaSiteLevelInput), async (c) =>
  c.json(await setMetaSitePermission(c.var.deps, c.var.actor, c.req.param("id"), c.req.param("userId"), c.req.valid("json"))),
);

workspaceApi.put("/meta-sites/:id/dashboard", jsonBody(DashboardInput), async (c) =>
  c.json(await saveDashboard(c.var.deps, c.var.actor, c.req.param("id"), c.req.valid("json"))),
);

workspaceApi.get("/meta-sites/:id/segments", async (c) => c.json(await listSegments(c.var.deps, c.var.actor, c.req.param("id"))));
workspaceApi.post("/meta-sites/:id/segments", jsonBody(SegmentInput), async (c) =>
  c.json(await createSegment(c.var.deps, c.var.actor, c.req.param("id"), c.req.valid("json")), 201),
);
workspaceApi.patch("/segments/:id", jsonBody(UpdateSegmentInput), async (c) => c.json(await updateSegment(c.var.deps, c.var.actor, c.req.param("id"), c.req.valid("json"))));
workspaceApi.delete("/segments/:id", async (c) => {
  await deleteSegment(c.var.deps, c.var.actor, c.req.param("id"));
  return c.body(null, 204);
});

// ---------------------------------------------------------------- users and modules (F-44)

workspaceApi.get("/users", queryParams(ListWorkspaceInput), async (c) => c.json(await listAnalyticsUsers(c.var.deps, c.var.actor, c.req.valid("query"))));
workspaceApi.get("/users/:id/modules", async (c) => c.json(await getUserModules(c.var.deps, c.var.actor, c.req.param("id"))));
workspaceApi.put("/users/:id/modules", jsonBody(ModuleGridInput), async (c) => c.json(await setUserModules(c.var.deps, c.var.actor, c.req.param("id"), c.req.valid("json"))));
