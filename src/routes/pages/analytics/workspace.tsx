// /analytics workspace pages (F-40…F-44; AA = Y, guarded in index.tsx): the
// overview, one site, one meta site, the analytics users and a user's module
// grid. Every form calls the same service as its JSON twin; without
// JavaScript a post redirects back (or re-renders with its errors, typed
// values kept); htmx row actions swap in the row the server answers with.
import { Hono, type Context } from "hono";
import type { Child } from "hono/jsx";
import { RequestContext } from "hono/jsx-renderer";
import type * as z from "../../../lib/zod";
import type { AppEnv } from "../../../env";
import type { Actor } from "../../../domain/actor";
import {
  canOpenReportPages,
  canUseModule,
  META_SITE_LEVEL_LABELS,
  META_SITE_LEVELS,
  MODULE_KEYS,
  SITE_ACTIONS,
  SITE_LEVEL_LABELS,
  SITE_LEVELS,
  siteLevelAllows,
  type Module,
  type SiteLevel,
} from "../../../domain/analytics";
import { AppError } from "../../../lib/errors";
import { fieldsFromZod, type FormValues } from "../../../lib/validate";
import {
  createMetaSite,
  CreateMetaSiteInput,
  DashboardInput,
  deleteMetaSite,
  saveDashboard,
  updateMetaSite,
  UpdateMetaSiteInput,
} from "../../../services/analytics-meta-sites";
import { createSegment, deleteSegment, getSegment, SegmentInput, updateSegment, UpdateSegmentInput } from "../../../services/analytics-segments";
import { getUserModules, listAnalyticsUsers, ModuleGridInput, setUserModules } from "../../../services/analytics-modules";
import {
  listMetaSitePermissions,
  listSitePermissions,
  MetaSiteLevelInput,
  setMetaSitePermission,
  setSitePermission,
  SiteLevelInput,
} from "../../../services/analytics-permissions";
import { createSite, CreateSiteInput, deleteSite, getSite, ListWorkspaceInput, updateSite, UpdateSiteInput } from "../../../services/analytics-sites";
import { createTag, CreateTagInput, getTag, publishTag, updateTag, UpdateTagInput, type PublicTag } from "../../../services/analytics-tags";
import { MetaSitePage, type MetaSitePageProps } from "../../../../views/analytics/meta-site";
import { SitePage, TagRow, type SitePageProps } from "../../../../views/analytics/site";
import { AnalyticsUsersPage, ModuleGridPage } from "../../../../views/analytics/users";
import { MODULE_PAGES, WorkspacePage, type WorkspacePageProps } from "../../../../views/analytics/workspace";
import { PermissionRow, siteIdsFromForm, type FormState, type PermissionEntryView } from "../../../../views/analytics/workspace-parts";
import { seeOther } from "../flash";
import { formAction } from "../form-action";
import { setAnalyticsOwner } from "../../../services/analytics-access";
import { metaSitePage, sitePage, workspaceOverview } from "../../../services/analytics-workspace-pages";

type Authed = AppEnv & { Variables: { actor: Actor } };
type C = Context<Authed>;
export const workspacePages = new Hono<Authed>();

const isHtmx = (c: C) => Boolean(c.req.header("hx-request"));

/** An htmx fragment: outside c.render, so the request context (CSRF fields) is provided here. */
const fragment = (c: C, node: Child, status = 200) => c.html(<RequestContext.Provider value={c}>{node}</RequestContext.Provider>, status as 200);

/** An expected refusal (403, 404, 409, 422 …) a page can show in place; anything else goes to app.onError. */
const isShowable = (e: unknown): e is AppError => e instanceof AppError && e.status < 500 && e.code !== "UNAUTHENTICATED";

/** A refused htmx row action answers with its row and the reason, keeping the real status (public/js/app.js swaps it). */
function rowRefusal(c: C, e: AppError, row: Child) {
  c.header("X-Swap-Error", "row");
  return fragment(c, row, e.status);
}

/** What a change says on the page a plain form post is redirected to. */
const SAID = {
  siteCreated: "Site added. Add tags and give people a level below.",
  siteSaved: "Site saved.",
  siteDeleted: "Site deleted.",
  tagAdded: "Tag added as a draft.",
  tagSaved: "Tag saved as a draft: publish it to make it live.",
  tagPublished: "Tag published.",
  permission: "Permission saved; the user was told by email.",
  permissionSame: "That was already the user's level; nothing changed.",
  metaCreated: "Meta site added.",
  metaSaved: "Meta site saved.",
  metaDeleted: "Meta site deleted.",
  dashboard: "Dashboard saved.",
  segmentAdded: "Segment added.",
  segmentSaved: "Segment saved.",
  segmentDeleted: "Segment deleted.",
  modules: "Module permissions saved; the user was told by email.",
  ownerGranted: "They are now an owner of the workspace.",
  ownerRemoved: "Owner access removed.",
};

/** Blank optional text fields mean "not given". */
const optional = (v: string | undefined) => (v === undefined || v.trim() === "" ? undefined : v);

// ---------------------------------------------------------------- overview (F-40, F-41)

const OVERVIEW_LIMIT = 100;

async function renderOverview(c: C, extra: Pick<WorkspacePageProps, "forms"> = {}) {
  const { deps, actor } = c.var;
  const parsed = ListWorkspaceInput.safeParse({ q: c.req.query("q"), pageSize: OVERVIEW_LIMIT });
  const query = parsed.success ? parsed.data : ListWorkspaceInput.parse({ pageSize: OVERVIEW_LIMIT });
  const grants = actor.modules;
  const { sites, metaSites, allSites } = await workspaceOverview(deps, actor, query);
  const moduleLinks = MODULE_KEYS.filter((m) => MODULE_PAGES[m] && canUseModule(actor, grants, m, "read")).map((m) => MODULE_PAGES[m]!);
  return c.render(
    <WorkspacePage
      owner={actor.analyticsOwner}
      sites={sites.items}
      sitesTotal={sites.page.total}
      metaSites={metaSites.items}
      metaSitesTotal={metaSites.page.total}
      allSites={allSites}
      q={query.q}
      moduleLinks={moduleLinks}
      selfId={actor.id}
      {...extra}
    />,
    { title: "Analytics" },
  );
}

workspacePages.get("/", (c) => renderOverview(c));

workspacePages.post("/sites", (c) =>
  formAction(c, {
    schema: CreateSiteInput,
    shape: (v) => ({ name: v.name, kind: v.kind, url: optional(v.url) }),
    run: async (data) => {
      const { site } = await createSite(c.var.deps, c.var.actor, data);
      return seeOther(c, `/analytics/sites/${site.id}`, SAID.siteCreated);
    },
    render: (s) => renderOverview(c, { forms: { site: s } }),
  }),
);

workspacePages.post("/meta-sites", (c) =>
  formAction(c, {
    schema: CreateMetaSiteInput,
    shape: (v) => ({ name: v.name, siteIds: siteIdsFromForm(v) }),
    run: async (data) => {
      const { metaSite } = await createMetaSite(c.var.deps, c.var.actor, data);
      return seeOther(c, `/analytics/meta-sites/${metaSite.id}`, SAID.metaCreated);
    },
    render: (s) => renderOverview(c, { forms: { metaSite: s } }),
  }),
);

// ---------------------------------------------------------------- one site (F-42)

async function renderSite(c: C, siteId: string, extra: Pick<SitePageProps, "error" | "forms"> = {}) {
  const { deps, actor } = c.var;
  const { site, tags, permissions } = await sitePage(deps, actor, siteId);
  return c.render(
    <SitePage site={site} owner={actor.analyticsOwner} canReport={canOpenReportPages(actor, actor.modules)} tags={tags} permissions={permissions} origin={deps.config.origin} {...extra} />,
    { title: site.name },
  );
}

/** A refusal outside any form (delete, publish without htmx): the page again with the reason. */
async function pageWithError(c: C, e: unknown, render: (error: string) => Promise<Response>) {
  if (!isShowable(e)) throw e;
  c.status(e.status as 400);
  return render(e.message);
}

workspacePages.get("/sites/:id", (c) => renderSite(c, c.req.param("id")));

workspacePages.post("/sites/:id", (c) =>
  formAction(c, {
    schema: UpdateSiteInput,
    // An emptied address field removes the address.
    shape: (v) => ({ name: v.name, kind: v.kind, url: optional(v.url) ?? null }),
    run: async (data) => {
      await updateSite(c.var.deps, c.var.actor, c.req.param("id"), data);
      return seeOther(c, `/analytics/sites/${c.req.param("id")}`, SAID.siteSaved);
    },
    render: (s) => renderSite(c, c.req.param("id"), { forms: { edit: s } }),
  }),
);

workspacePages.post("/sites/:id/delete", async (c) => {
  try {
    await deleteSite(c.var.deps, c.var.actor, c.req.param("id"));
  } catch (e) {
    return pageWithError(c, e, (error) => renderSite(c, c.req.param("id"), { error }));
  }
  return seeOther(c, "/analytics", SAID.siteDeleted);
});

workspacePages.post("/sites/:id/tags", (c) =>
  formAction(c, {
    schema: CreateTagInput,
    shape: (v) => ({ name: v.name, code: v.code ?? "" }),
    run: async (data) => {
      await createTag(c.var.deps, c.var.actor, c.req.param("id"), data);
      return seeOther(c, `/analytics/sites/${c.req.param("id")}#tags`, SAID.tagAdded);
    },
    render: (s) => renderSite(c, c.req.param("id"), { forms: { tag: s } }),
  }),
);

/** The site a tag belongs to, as the caller may see it (404 otherwise): read only to show a refusal, the writes check access themselves. */
const tagSiteId = async (c: C, tagId: string) => (await getTag(c.var.deps, c.var.actor, tagId)).tag.siteId;

workspacePages.post("/tags/:id", (c) => {
  const tagId = c.req.param("id");
  return formAction(c, {
    schema: UpdateTagInput,
    shape: (v) => ({ name: v.name, code: v.code ?? "" }),
    run: async (data) => {
      // The answer names the tag's site: no read first (a tag the caller cannot see is refused by the service, 404).
      const { tag } = await updateTag(c.var.deps, c.var.actor, tagId, data);
      return seeOther(c, `/analytics/sites/${tag.siteId}#tag-${tagId}`, SAID.tagSaved);
    },
    // A tag the caller cannot see is 404 here, before its site is shown.
    render: async (s) => renderSite(c, await tagSiteId(c, tagId), { forms: { tags: { [tagId]: s } } }),
  });
});

workspacePages.post("/tags/:id/publish", async (c) => {
  const { deps, actor } = c.var;
  const tagId = c.req.param("id");
  const row = (tag: PublicTag, level: SiteLevel, message: string, error = false) => (
    <TagRow tag={tag} canEdit={siteLevelAllows(level, "editTags")} canPublish={siteLevelAllows(level, "publishTags")} message={message} error={error} />
  );
  try {
    const { tag } = await publishTag(deps, actor, tagId);
    // Published: the caller's level is at least the lowest that publishes, which is all the row shows of it.
    if (isHtmx(c)) return fragment(c, row(tag, SITE_ACTIONS.publishTags.min, "Published."));
    return seeOther(c, `/analytics/sites/${tag.siteId}#tag-${tagId}`, SAID.tagPublished);
  } catch (e) {
    if (!isShowable(e)) throw e;
    // The refusal is shown with the tag as it is now; a tag the caller cannot see is 404 here.
    const { tag } = await getTag(deps, actor, tagId);
    if (!isHtmx(c)) return pageWithError(c, e, (error) => renderSite(c, tag.siteId, { error }));
    const { site } = await getSite(deps, actor, tag.siteId);
    return rowRefusal(c, e, row(tag, site.level, e.message, true));
  }
});

// ---------------------------------------------------------------- permission rows (F-42, F-43)

/**
 * One row's level change. htmx gets the row with the outcome inside it; a
 * plain post is redirected to the permissions section, or sees the page again
 * with the reason.
 */
async function permissionRowAction<L extends string>(
  c: C,
  o: {
    base: string;
    levels: readonly L[];
    labels: Record<L, string>;
    parse: (level: unknown) => { success: true; data: { level: L } } | { success: false; error: z.core.$ZodError };
    run: (level: L) => Promise<{ permission: PermissionEntryView<L>; changed: boolean }>;
    current: () => Promise<{ items: PermissionEntryView<L>[] }>;
    page: (error: string) => Promise<Response>;
  },
) {
  const userId = c.req.param("userId")!;
  const rowOf = (entry: PermissionEntryView<L>, message: string, error = false) => (
    <PermissionRow action={`${o.base}/${userId}`} entry={entry} levels={o.levels} labels={o.labels} message={message} error={error} />
  );
  try {
    const body = await c.req.parseBody();
    const parsed = o.parse(body.level);
    if (!parsed.success) throw new AppError("VALIDATION_FAILED", `Choose one of: ${o.levels.map((l) => o.labels[l]).join(", ")}.`, fieldsFromZod(parsed.error));
    const { permission, changed } = await o.run(parsed.data.level);
    if (isHtmx(c))
      return fragment(
        c,
        rowOf(
          permission,
          changed ? `Saved: ${o.labels[permission.level]}. ${permission.user.name} was told by email.` : `Already ${o.labels[permission.level]}.`,
        ),
      );
    return seeOther(c, `${o.base.replace(/\/permissions$/, "")}#perm-${userId}`, changed ? SAID.permission : SAID.permissionSame);
  } catch (e) {
    if (!isShowable(e)) throw e;
    if (!isHtmx(c)) return pageWithError(c, e, o.page);
    const entry = (await o.current().catch(() => null))?.items.find((i) => i.user.id === userId);
    if (!entry) throw e;
    return rowRefusal(c, e, rowOf(entry, e.message, true));
  }
}

workspacePages.post("/sites/:id/permissions/:userId", (c) => {
  const { deps, actor } = c.var;
  const siteId = c.req.param("id");
  return permissionRowAction(c, {
    base: `/analytics/sites/${siteId}/permissions`,
    levels: SITE_LEVELS,
    labels: SITE_LEVEL_LABELS,
    parse: (level) => SiteLevelInput.safeParse({ level }),
    run: (level) => setSitePermission(deps, actor, siteId, c.req.param("userId"), { level }),
    current: () => listSitePermissions(deps, actor, siteId),
    page: (error) => renderSite(c, siteId, { error }),
  });
});

// ---------------------------------------------------------------- one meta site (F-43)

async function renderMetaSite(c: C, metaSiteId: string, extra: Pick<MetaSitePageProps, "error" | "forms"> = {}) {
  const { deps, actor } = c.var;
  const { metaSite, segments, permissions, allSites } = await metaSitePage(deps, actor, metaSiteId);
  return c.render(
    <MetaSitePage
      metaSite={metaSite}
      owner={actor.analyticsOwner}
      canReport={canOpenReportPages(actor, actor.modules)}
      allSites={allSites}
      segments={segments}
      permissions={permissions}
      {...extra}
    />,
    { title: metaSite.name },
  );
}

workspacePages.get("/meta-sites/:id", (c) => renderMetaSite(c, c.req.param("id")));

workspacePages.post("/meta-sites/:id", (c) =>
  formAction(c, {
    schema: UpdateMetaSiteInput,
    // Only owners see the site checkboxes; anyone else's form renames only.
    shape: (v) => ({ name: v.name, ...(c.var.actor.analyticsOwner ? { siteIds: siteIdsFromForm(v) } : {}) }),
    run: async (data) => {
      await updateMetaSite(c.var.deps, c.var.actor, c.req.param("id"), data);
      return seeOther(c, `/analytics/meta-sites/${c.req.param("id")}`, SAID.metaSaved);
    },
    render: (s) => renderMetaSite(c, c.req.param("id"), { forms: { settings: s } }),
  }),
);

workspacePages.post("/meta-sites/:id/delete", async (c) => {
  try {
    await deleteMetaSite(c.var.deps, c.var.actor, c.req.param("id"));
  } catch (e) {
    return pageWithError(c, e, (error) => renderMetaSite(c, c.req.param("id"), { error }));
  }
  return seeOther(c, "/analytics", SAID.metaDeleted);
});

workspacePages.post("/meta-sites/:id/dashboard", (c) =>
  formAction(c, {
    schema: DashboardInput,
    shape: (v) => ({ siteIds: siteIdsFromForm(v), days: v.days === undefined ? undefined : Number(v.days) }),
    run: async (data) => {
      await saveDashboard(c.var.deps, c.var.actor, c.req.param("id"), data);
      return seeOther(c, `/analytics/meta-sites/${c.req.param("id")}#dashboard`, SAID.dashboard);
    },
    render: (s) => renderMetaSite(c, c.req.param("id"), { forms: { dashboard: s } }),
  }),
);

workspacePages.post("/meta-sites/:id/segments", (c) =>
  formAction(c, {
    schema: SegmentInput,
    shape: (v) => ({ name: v.name, siteIds: siteIdsFromForm(v) }),
    run: async (data) => {
      await createSegment(c.var.deps, c.var.actor, c.req.param("id"), data);
      return seeOther(c, `/analytics/meta-sites/${c.req.param("id")}#segments`, SAID.segmentAdded);
    },
    render: (s) => renderMetaSite(c, c.req.param("id"), { forms: { segment: s } }),
  }),
);

/** The meta site a segment belongs to, as the caller may see it (404 otherwise). */
const segmentMetaSite = async (c: C, segmentId: string) => (await getSegment(c.var.deps, c.var.actor, segmentId)).segment.metaSiteId;

// The writes check access themselves and answer the segment's meta site: no read first. Only a refusal reads
// the segment, to show its meta site again (a segment the caller cannot see is 404 there).
workspacePages.post("/segments/:id", (c) => {
  const segmentId = c.req.param("id");
  return formAction(c, {
    schema: UpdateSegmentInput,
    shape: (v) => ({ name: v.name, siteIds: siteIdsFromForm(v) }),
    run: async (data) => {
      const { segment } = await updateSegment(c.var.deps, c.var.actor, segmentId, data);
      return seeOther(c, `/analytics/meta-sites/${segment.metaSiteId}#segment-${segmentId}`, SAID.segmentSaved);
    },
    render: async (s) => renderMetaSite(c, await segmentMetaSite(c, segmentId), { forms: { segments: { [segmentId]: s } } }),
  });
});

workspacePages.post("/segments/:id/delete", async (c) => {
  const segmentId = c.req.param("id");
  let metaSiteId: string;
  try {
    metaSiteId = (await deleteSegment(c.var.deps, c.var.actor, segmentId)).segment.metaSiteId;
  } catch (e) {
    if (!isShowable(e)) throw e;
    const metaSiteId = await segmentMetaSite(c, segmentId);
    return pageWithError(c, e, (error) => renderMetaSite(c, metaSiteId, { error }));
  }
  return seeOther(c, `/analytics/meta-sites/${metaSiteId}#segments`, SAID.segmentDeleted);
});

workspacePages.post("/meta-sites/:id/permissions/:userId", (c) => {
  const { deps, actor } = c.var;
  const metaSiteId = c.req.param("id");
  return permissionRowAction(c, {
    base: `/analytics/meta-sites/${metaSiteId}/permissions`,
    levels: META_SITE_LEVELS,
    labels: META_SITE_LEVEL_LABELS,
    parse: (level) => MetaSiteLevelInput.safeParse({ level }),
    run: (level) => setMetaSitePermission(deps, actor, metaSiteId, c.req.param("userId"), { level }),
    current: () => listMetaSitePermissions(deps, actor, metaSiteId),
    page: (error) => renderMetaSite(c, metaSiteId, { error }),
  });
});

// ---------------------------------------------------------------- users and module grid (F-44)

workspacePages.get("/users", async (c) => {
  const { deps, actor } = c.var;
  const parsed = ListWorkspaceInput.safeParse({ q: c.req.query("q"), pageSize: OVERVIEW_LIMIT });
  const query = parsed.success ? parsed.data : ListWorkspaceInput.parse({ pageSize: OVERVIEW_LIMIT });
  const list = await listAnalyticsUsers(deps, actor, query);
  const grants = actor.modules;
  return c.render(
    <AnalyticsUsersPage users={list.items} total={list.page.total} q={query.q} canChange={canUseModule(actor, grants, "user_management", "write")} selfId={actor.id} />,
    { title: "Analytics users" },
  );
});

async function renderGrid(c: C, extra: { form?: FormState; ownerError?: string } = {}) {
  const { deps, actor } = c.var;
  const data = await getUserModules(deps, actor, c.req.param("id")!);
  const grants = actor.modules;
  return c.render(
    <ModuleGridPage
      data={data}
      canChange={canUseModule(actor, grants, "user_management", "write")}
      canListUsers={canUseModule(actor, grants, "user_management", "read")}
      viewerIsOwner={actor.analyticsOwner}
      viewerId={actor.id}
      {...extra}
    />,
    { title: `Module permissions: ${data.user.name}` },
  );
}

workspacePages.get("/users/:id", (c) => renderGrid(c));

/** F-41: the twin of PUT /api/v1/analytics/users/:id/owner. */
workspacePages.post("/users/:id/owner", async (c) => {
  const form = await c.req.parseBody();
  const owner = form.owner === "true";
  try {
    await setAnalyticsOwner(c.var.deps, c.var.actor, c.req.param("id"), { owner });
  } catch (e) {
    if (!(e instanceof AppError) || e.status >= 500 || e.status === 404) throw e;
    c.status(e.status as 409);
    return renderGrid(c, { ownerError: e.message });
  }
  return seeOther(c, `/analytics/users/${c.req.param("id")}`, owner ? SAID.ownerGranted : SAID.ownerRemoved);
});

/** The grid's radio groups; a row whose cells are all disabled posts nothing and stays as it is. */
const gridFromForm = (v: FormValues) => Object.fromEntries(MODULE_KEYS.filter((m: Module) => v[m] !== undefined).map((m) => [m, v[m]]));

workspacePages.post("/users/:id", (c) =>
  formAction(c, {
    schema: ModuleGridInput,
    shape: gridFromForm,
    run: async (data) => {
      await setUserModules(c.var.deps, c.var.actor, c.req.param("id"), data);
      return seeOther(c, `/analytics/users/${c.req.param("id")}`, SAID.modules);
    },
    render: (form) => renderGrid(c, { form }),
  }),
);
