// F-44 ReachOut: in-product message campaigns. Read-only views campaign
// details; Full creates, edits, starts, ends and deletes drafts. The status
// rules live in domain/analytics-features.ts; every change carries them in its
// UPDATE's WHERE (the statuses it may leave), so a concurrent end is never
// overwritten.
import { and, asc, count, desc, eq, inArray, ne, or, sql } from "drizzle-orm";
import * as z from "../lib/zod";
import { analyticsCampaigns } from "../db/schema";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import { CAMPAIGN_STATUSES, campaignChangeRefusal, canDeleteCampaign } from "../domain/analytics-features";
import { guardChanged, isGuardAbort } from "../lib/batch";
import { AppError } from "../lib/errors";
import { newId } from "../lib/ids";
import { contains } from "../lib/search";
import { pageFields, pageOffset, pageOf } from "../lib/paging";
import { requireModule } from "./analytics-context";
import { auditInsert, auditInsertSelect } from "./audit";
import { jsonObject } from "../lib/sql-json";

const name = z.string({ error: "Enter a name." }).check(z.trim(), z.minLength(1, "Enter a name."), z.maxLength(120, "Use at most 120 characters."));
const message = z
  .string({ error: "Enter the message." })
  .check(z.trim(), z.minLength(1, "Enter the message."), z.maxLength(2000, "Use at most 2000 characters."));
const status = z.enum(CAMPAIGN_STATUSES, { error: "Choose draft, active or ended." });

export const CampaignInput = z.strictObject({ name, message });
export type CampaignInput = z.infer<typeof CampaignInput>;

export const UpdateCampaignInput = z
  .strictObject({ name: z.optional(name), message: z.optional(message), status: z.optional(status) })
  .check(z.refine((v) => v.name !== undefined || v.message !== undefined || v.status !== undefined, { error: "Send name, message or status." }));
export type UpdateCampaignInput = z.infer<typeof UpdateCampaignInput>;

export const ListCampaignsInput = z.object({
  q: z.optional(z.string().check(z.trim(), z.maxLength(120, "Use at most 120 characters."))),
  status: z.optional(status),
  ...pageFields({ size: 50 }),
});
export type ListCampaignsInput = z.infer<typeof ListCampaignsInput>;

type CampaignRow = typeof analyticsCampaigns.$inferSelect;

export const toPublicCampaign = (c: CampaignRow) => ({
  id: c.id,
  name: c.name,
  message: c.message,
  status: c.status,
  createdAt: new Date(c.createdAt).toISOString(),
  updatedAt: new Date(c.updatedAt).toISOString(),
});
export type PublicCampaign = ReturnType<typeof toPublicCampaign>;

const ownCampaign = (actor: Actor, id: string) => and(eq(analyticsCampaigns.id, id), eq(analyticsCampaigns.orgId, actor.orgId));
const campaignNotFound = () => new AppError("NOT_FOUND", "Campaign not found.");
const changedMeanwhile = () => new AppError("CONFLICT", "This campaign was changed meanwhile. Reload and try again.");

async function findOwnCampaign(deps: Deps, actor: Actor, id: string) {
  const [row] = await deps.db.select().from(analyticsCampaigns).where(ownCampaign(actor, id)).limit(1);
  if (!row) throw campaignNotFound();
  return row;
}

const auditView = (c: Pick<CampaignRow, "name" | "message" | "status">) => ({ name: c.name, message: c.message, status: c.status });

export async function listCampaigns(deps: Deps, actor: Actor, input: ListCampaignsInput) {
  requireModule(actor, "reachout", "read");
  const where = and(
    eq(analyticsCampaigns.orgId, actor.orgId),
    input.status ? eq(analyticsCampaigns.status, input.status) : undefined,
    input.q ? or(contains(analyticsCampaigns.name, input.q), contains(analyticsCampaigns.message, input.q)) : undefined,
  );
  const [rows, [total]] = await deps.db.batch([
    deps.db
      .select()
      .from(analyticsCampaigns)
      .where(where)
      .orderBy(desc(analyticsCampaigns.createdAt), asc(analyticsCampaigns.id))
      .limit(input.pageSize)
      .offset(pageOffset(input)),
    deps.db.select({ n: count() }).from(analyticsCampaigns).where(where),
  ]);
  return { items: rows.map(toPublicCampaign), page: pageOf(input, total) };
}

export async function getCampaign(deps: Deps, actor: Actor, id: string) {
  requireModule(actor, "reachout", "read");
  return { campaign: toPublicCampaign(await findOwnCampaign(deps, actor, id)) };
}

/** A new campaign starts as a draft. */
export async function addCampaign(deps: Deps, actor: Actor, input: CampaignInput) {
  requireModule(actor, "reachout", "write");
  const now = deps.now();
  const row: CampaignRow = { id: newId(), orgId: actor.orgId, name: input.name, message: input.message, status: "draft", createdAt: now, updatedAt: now };
  await deps.db.batch([
    deps.db.insert(analyticsCampaigns).values(row),
    auditInsert(deps, { actorId: actor.id, orgId: actor.orgId, action: "analytics.campaign.created", targetType: "analytics_campaign", targetId: row.id, after: auditView(row) }),
  ]);
  return { campaign: toPublicCampaign(row) };
}

/** The audit view of the row as SQL, for an audit entry written by INSERT … SELECT over it. */
const auditViewSql = () => jsonObject({ name: analyticsCampaigns.name, message: analyticsCampaigns.message, status: analyticsCampaigns.status });

export async function updateCampaign(deps: Deps, actor: Actor, id: string, input: UpdateCampaignInput) {
  requireModule(actor, "reachout", "write");
  // The status rule as a condition: the statuses from which this change is allowed.
  const allowedFrom = CAMPAIGN_STATUSES.filter((current) => campaignChangeRefusal(current, { status: input.status }) === null);
  // Only a change is written: fields sent with their current values change nothing.
  const target = and(
    ownCampaign(actor, id),
    inArray(analyticsCampaigns.status, allowedFrom),
    or(
      input.name !== undefined ? ne(analyticsCampaigns.name, input.name) : undefined,
      input.message !== undefined ? ne(analyticsCampaigns.message, input.message) : undefined,
      input.status !== undefined ? ne(analyticsCampaigns.status, input.status) : undefined,
    ),
  );
  const patch = { ...(input.name !== undefined && { name: input.name }), ...(input.message !== undefined && { message: input.message }), ...(input.status !== undefined && { status: input.status }) };
  try {
    // The audit row reads the campaign before the update, in the same batch: no read first.
    const [, [after]] = await deps.db.batch([
      auditInsertSelect(
        deps,
        {
          actorId: actor.id,
          orgId: actor.orgId,
          action: "analytics.campaign.changed",
          targetType: "analytics_campaign",
          targetId: id,
          before: auditViewSql(),
          after: jsonObject({ name: input.name ?? analyticsCampaigns.name, message: input.message ?? analyticsCampaigns.message, status: input.status ?? analyticsCampaigns.status }),
        },
        sql`FROM ${analyticsCampaigns} WHERE ${target}`,
      ),
      deps.db
        .update(analyticsCampaigns)
        .set({ ...patch, updatedAt: deps.now() })
        .where(target)
        .returning(),
      guardChanged(deps.db),
    ]);
    return { campaign: toPublicCampaign(after!) };
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    // Why, as before: 404, the status rule (409), or nothing to change (the campaign as it is); otherwise a race.
    const before = await findOwnCampaign(deps, actor, id);
    const refusal = campaignChangeRefusal(before.status, { status: input.status });
    if (refusal) throw new AppError("CONFLICT", refusal);
    const next = { name: input.name ?? before.name, message: input.message ?? before.message, status: input.status ?? before.status };
    if (JSON.stringify(next) === JSON.stringify(auditView(before))) return { campaign: toPublicCampaign(before) };
    throw changedMeanwhile();
  }
}

/** Drafts only: a campaign users have seen stays on record (end it instead). */
export async function deleteCampaign(deps: Deps, actor: Actor, id: string) {
  requireModule(actor, "reachout", "write");
  const notDraft = () => new AppError("CONFLICT", "Only draft campaigns can be deleted; end an active campaign instead.");
  const target = and(ownCampaign(actor, id), inArray(analyticsCampaigns.status, CAMPAIGN_STATUSES.filter(canDeleteCampaign)));
  try {
    // The audit row reads the campaign before the delete, in the same batch: no read first.
    const [, removed] = await deps.db.batch([
      auditInsertSelect(
        deps,
        { actorId: actor.id, orgId: actor.orgId, action: "analytics.campaign.deleted", targetType: "analytics_campaign", targetId: id, before: auditViewSql() },
        sql`FROM ${analyticsCampaigns} WHERE ${target}`,
      ),
      deps.db.delete(analyticsCampaigns).where(target).returning(),
      guardChanged(deps.db),
    ]);
    return { campaign: toPublicCampaign(removed[0]!) };
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    // Why: 404 when it is not in this workspace (any more), otherwise not a draft.
    await findOwnCampaign(deps, actor, id);
    throw notDraft();
  }
}
