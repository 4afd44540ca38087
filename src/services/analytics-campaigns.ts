// F-44 ReachOut: in-product message campaigns. Read-only views campaign
// details; Full creates, edits, starts, ends and deletes drafts. The status
// rules live in domain/analytics-features.ts; every change is a compare-and-swap
// on the status read, so a concurrent end is never overwritten.
import { and, asc, count, desc, eq, or } from "drizzle-orm";
import * as z from "zod";
import { analyticsCampaigns } from "../db/schema";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import { CAMPAIGN_STATUSES, campaignChangeRefusal, canDeleteCampaign } from "../domain/analytics-features";
import { guardChanged, isGuardAbort } from "../lib/batch";
import { AppError } from "../lib/errors";
import { newId } from "../lib/ids";
import { contains } from "../lib/search";
import { requireModule } from "./analytics-context";
import { auditInsert } from "./audit";

const name = z.string({ error: "Enter a name." }).trim().min(1, "Enter a name.").max(120, "Use at most 120 characters.");
const message = z.string({ error: "Enter the message." }).trim().min(1, "Enter the message.").max(2000, "Use at most 2000 characters.");
const status = z.enum(CAMPAIGN_STATUSES, { error: "Choose draft, active or ended." });

export const CampaignInput = z.strictObject({ name, message });
export type CampaignInput = z.infer<typeof CampaignInput>;

export const UpdateCampaignInput = z
  .strictObject({ name: name.optional(), message: message.optional(), status: status.optional() })
  .refine((v) => v.name !== undefined || v.message !== undefined || v.status !== undefined, { error: "Send name, message or status." });
export type UpdateCampaignInput = z.infer<typeof UpdateCampaignInput>;

export const ListCampaignsInput = z.object({
  q: z.string().trim().max(120, "Use at most 120 characters.").optional(),
  status: status.optional(),
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(50),
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
      .offset((input.page - 1) * input.pageSize),
    deps.db.select({ n: count() }).from(analyticsCampaigns).where(where),
  ]);
  return { items: rows.map(toPublicCampaign), page: { number: input.page, size: input.pageSize, total: total?.n ?? 0 } };
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

export async function updateCampaign(deps: Deps, actor: Actor, id: string, input: UpdateCampaignInput) {
  requireModule(actor, "reachout", "write");
  const before = await findOwnCampaign(deps, actor, id);
  const refusal = campaignChangeRefusal(before.status, { status: input.status });
  if (refusal) throw new AppError("CONFLICT", refusal);
  const next = { name: input.name ?? before.name, message: input.message ?? before.message, status: input.status ?? before.status };
  if (JSON.stringify(next) === JSON.stringify(auditView(before))) return { campaign: toPublicCampaign(before) };
  try {
    const [[after]] = await deps.db.batch([
      deps.db
        .update(analyticsCampaigns)
        .set({ ...next, updatedAt: deps.now() })
        .where(and(ownCampaign(actor, id), eq(analyticsCampaigns.status, before.status), eq(analyticsCampaigns.updatedAt, before.updatedAt)))
        .returning(),
      guardChanged(deps.db),
      auditInsert(deps, { actorId: actor.id, orgId: actor.orgId, action: "analytics.campaign.changed", targetType: "analytics_campaign", targetId: id, before: auditView(before), after: next }),
    ]);
    return { campaign: toPublicCampaign(after!) };
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    await findOwnCampaign(deps, actor, id);
    throw changedMeanwhile();
  }
}

/** Drafts only: a campaign users have seen stays on record (end it instead). */
export async function deleteCampaign(deps: Deps, actor: Actor, id: string) {
  requireModule(actor, "reachout", "write");
  const before = await findOwnCampaign(deps, actor, id);
  const notDraft = () => new AppError("CONFLICT", "Only draft campaigns can be deleted; end an active campaign instead.");
  if (!canDeleteCampaign(before.status)) throw notDraft();
  try {
    await deps.db.batch([
      deps.db.delete(analyticsCampaigns).where(and(ownCampaign(actor, id), eq(analyticsCampaigns.status, "draft"))),
      guardChanged(deps.db),
      auditInsert(deps, { actorId: actor.id, orgId: actor.orgId, action: "analytics.campaign.deleted", targetType: "analytics_campaign", targetId: id, before: auditView(before) }),
    ]);
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    await findOwnCampaign(deps, actor, id);
    throw notDraft();
  }
  return { campaign: toPublicCampaign(before) };
}
