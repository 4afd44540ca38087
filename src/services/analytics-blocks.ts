// F-44 Product Administrator: "permission to delete data and block clients /
// IP addresses". Blocks are read by collection; data deletion removes a site's
// daily aggregates in a day range. Everything is scoped to the caller's
// workspace (organization) in the WHERE clause, and needs the module in full.
import { and, asc, count, desc, eq, gte, lte, sql } from "drizzle-orm";
import * as z from "../lib/zod";
import { aliased } from "../db/client";
import { analyticsBlocks, analyticsDailyStats, analyticsSites, users } from "../db/schema";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import { BLOCK_KINDS, BLOCK_KIND_LABELS, canonicalIp, CLIENT_ID_PATTERN, isDay } from "../domain/analytics-features";
import { guardChanged, isGuardAbort, isUniqueViolation } from "../lib/batch";
import { AppError } from "../lib/errors";
import { newId } from "../lib/ids";
import { contains } from "../lib/search";
import { pageFields, pageOffset, pageOf } from "../lib/paging";
import { requireModule } from "./analytics-context";
import { auditInsert, auditInsertSelect } from "./audit";
import { jsonObject } from "../lib/sql-json";

// ---------------------------------------------------------------- inputs

export const BlockInput = z.pipe(
  z.strictObject({
    kind: z.enum(BLOCK_KINDS, { error: "Choose IP address or client." }),
    value: z.string({ error: "Enter what to block." }).check(z.trim(), z.minLength(1, "Enter what to block."), z.maxLength(128, "Use at most 128 characters.")),
  }),
  z.transform((input, ctx) => {
    if (input.kind === "client") {
      if (!CLIENT_ID_PATTERN.test(input.value)) z.addIssue(ctx, "A client id has no spaces or special characters.", ["value"]);
      return input;
    }
    const ip = canonicalIp(input.value);
    if (!ip) z.addIssue(ctx, "Enter a valid IPv4 or IPv6 address, e.g. 203.0.113.7 or 2001:db8::1.", ["value"]);
    return { ...input, value: ip ?? input.value };
  }),
);
export type BlockInput = z.infer<typeof BlockInput>;

export const ListBlocksInput = z.object({
  q: z.optional(z.string().check(z.trim(), z.maxLength(128, "Use at most 128 characters."))),
  kind: z.optional(z.enum(BLOCK_KINDS, { error: "Use kind=ip or kind=client." })),
  ...pageFields({ size: 50 }),
});
export type ListBlocksInput = z.infer<typeof ListBlocksInput>;

const day = (label: string) =>
  z
    .string({ error: `Enter the ${label} day.` })
    .check(z.trim(), z.maxLength(10, `Enter the ${label} day as YYYY-MM-DD.`), z.refine(isDay, `Enter the ${label} day as YYYY-MM-DD.`));

const range = { from: day("first"), to: day("last") };
const inOrder = [(r: { from: string; to: string }) => r.from <= r.to, { path: ["to"], message: "The last day is before the first day." }] as [
  (r: { from: string; to: string }) => boolean,
  { path: string[]; message: string },
];

/** The query of DELETE /sites/:id/data: a day range, both ends included. */
export const DeleteDataInput = z.strictObject(range).check(z.refine(...inOrder));
export type DeleteDataInput = z.infer<typeof DeleteDataInput>;

/** The page's form, where the site is one of the fields. */
export const DeleteSiteDataForm = z
  .strictObject({ siteId: z.string({ error: "Choose a site or app." }).check(z.minLength(1, "Choose a site or app.")), ...range })
  .check(z.refine(...inOrder));

// ---------------------------------------------------------------- shapes

type BlockRow = typeof analyticsBlocks.$inferSelect;

const toPublicBlock = (b: Pick<BlockRow, "id" | "kind" | "value" | "createdBy" | "createdAt">, createdByName: string | null = null) => ({
  id: b.id,
  kind: b.kind,
  value: b.value,
  createdBy: b.createdBy ? { id: b.createdBy, name: createdByName } : null,
  createdAt: new Date(b.createdAt).toISOString(),
});
export type PublicBlock = ReturnType<typeof toPublicBlock>;

const ownBlock = (actor: Actor, id: string) => and(eq(analyticsBlocks.id, id), eq(analyticsBlocks.orgId, actor.orgId));
const blockNotFound = () => new AppError("NOT_FOUND", "Block not found.");

// ---------------------------------------------------------------- use cases

/** The page of blocks and their count, as queries for a batch (the module check is the caller's). */
function blockListQueries(deps: Deps, actor: Actor, input: ListBlocksInput) {
  const where = and(
    eq(analyticsBlocks.orgId, actor.orgId),
    input.kind ? eq(analyticsBlocks.kind, input.kind) : undefined,
    input.q ? contains(analyticsBlocks.value, input.q) : undefined,
  );
  return [
    deps.db
      .select({
        id: analyticsBlocks.id,
        kind: analyticsBlocks.kind,
        value: analyticsBlocks.value,
        createdBy: analyticsBlocks.createdBy,
        createdAt: analyticsBlocks.createdAt,
        createdByName: aliased<string | null>(users.name, "created_by_name"),
      })
      .from(analyticsBlocks)
      // The adder's name only when they are still of this organization.
      .leftJoin(users, and(eq(users.id, analyticsBlocks.createdBy), eq(users.orgId, actor.orgId)))
      .where(where)
      .orderBy(desc(analyticsBlocks.createdAt), asc(analyticsBlocks.id))
      .limit(input.pageSize)
      .offset(pageOffset(input)),
    deps.db.select({ n: count() }).from(analyticsBlocks).where(where),
  ] as const;
}

type BlockListRow = Pick<BlockRow, "id" | "kind" | "value" | "createdBy" | "createdAt"> & { createdByName: string | null };
const blockListFrom = (input: ListBlocksInput, rows: BlockListRow[], total: { n: number } | undefined) => ({
  items: rows.map((r) => toPublicBlock(r, r.createdByName)),
  page: pageOf(input, total),
});

export async function listBlocks(deps: Deps, actor: Actor, input: ListBlocksInput) {
  requireModule(actor, "product_admin", "read");
  const [rows, [total]] = await deps.db.batch(blockListQueries(deps, actor, input));
  return blockListFrom(input, rows, total);
}

export async function addBlock(deps: Deps, actor: Actor, input: BlockInput) {
  requireModule(actor, "product_admin", "write");
  const row = { id: newId(), orgId: actor.orgId, kind: input.kind, value: input.value, createdBy: actor.id, createdAt: deps.now() };
  const block = toPublicBlock(row, actor.name);
  try {
    await deps.db.batch([
      deps.db.insert(analyticsBlocks).values(row),
      auditInsert(deps, { actorId: actor.id, orgId: actor.orgId, action: "analytics.block.created", targetType: "analytics_block", targetId: row.id, after: { kind: row.kind, value: row.value } }),
    ]);
  } catch (e) {
    if (isUniqueViolation(e)) throw new AppError("CONFLICT", `This ${BLOCK_KIND_LABELS[input.kind].toLowerCase()} is already blocked.`, { value: "Already blocked." });
    throw e;
  }
  return { block };
}

export async function removeBlock(deps: Deps, actor: Actor, id: string) {
  requireModule(actor, "product_admin", "write");
  try {
    // The audit row reads the block before the delete, in the same batch: no read first.
    const [, removed] = await deps.db.batch([
      auditInsertSelect(
        deps,
        {
          actorId: actor.id,
          orgId: actor.orgId,
          action: "analytics.block.removed",
          targetType: "analytics_block",
          targetId: id,
          before: jsonObject({ kind: analyticsBlocks.kind, value: analyticsBlocks.value }),
        },
        sql`FROM ${analyticsBlocks} WHERE ${ownBlock(actor, id)}`,
      ),
      deps.db.delete(analyticsBlocks).where(ownBlock(actor, id)).returning(),
      guardChanged(deps.db),
    ]);
    return { block: toPublicBlock(removed[0]!) };
  } catch (e) {
    // Not in this workspace, or removed concurrently: the same answer as a second request.
    if (isGuardAbort(e)) throw blockNotFound();
    throw e;
  }
}

/** Every site and app of the workspace: a Product Administrator may delete any site's data, whatever their site levels. */
const workspaceSitesQuery = (deps: Deps, actor: Actor) =>
  deps.db
    .select({ id: analyticsSites.id, name: analyticsSites.name, kind: analyticsSites.kind })
    .from(analyticsSites)
    .where(eq(analyticsSites.orgId, actor.orgId))
    .orderBy(sql`lower(${analyticsSites.name})`, asc(analyticsSites.id));

/** The blocks page in one round trip: the page of blocks and the sites whose data can be deleted. */
export async function blocksPage(deps: Deps, actor: Actor, input: ListBlocksInput) {
  requireModule(actor, "product_admin", "read");
  const [rows, [total], sites] = await deps.db.batch([...blockListQueries(deps, actor, input), workspaceSitesQuery(deps, actor)]);
  return { list: blockListFrom(input, rows, total), sites: { items: sites } };
}

/**
 * Deletes a site's daily aggregates from `from` to `to` (both included) and
 * answers how many day rows went. Count, audit and delete run in one batch,
 * which D1 runs as one transaction, so the audited count is the deleted one
 * even while collection keeps writing.
 */
export async function deleteSiteData(deps: Deps, actor: Actor, siteId: string, input: DeleteDataInput) {
  requireModule(actor, "product_admin", "write");
  const ownSite = and(eq(analyticsSites.id, siteId), eq(analyticsSites.orgId, actor.orgId));
  // The site's id only when it is in this workspace: the tenant scope of the count and the delete.
  const inRange = and(
    eq(analyticsDailyStats.siteId, siteId),
    sql`${analyticsDailyStats.siteId} IN (SELECT ${analyticsSites.id} FROM ${analyticsSites} WHERE ${ownSite})`,
    gte(analyticsDailyStats.day, input.from),
    lte(analyticsDailyStats.day, input.to),
  );
  const counted = deps.db.select({ n: count() }).from(analyticsDailyStats).where(inRange);
  try {
    const [[total]] = await deps.db.batch([
      counted,
      // The audit row names the site and counts the rows before the delete; none when the site is not in this workspace.
      auditInsertSelect(
        deps,
        {
          actorId: actor.id,
          orgId: actor.orgId,
          action: "analytics.data.deleted",
          targetType: "analytics_site",
          targetId: siteId,
          after: jsonObject({ site: analyticsSites.name, from: input.from, to: input.to, deleted: sql`${counted}` }),
        },
        sql`FROM ${analyticsSites} WHERE ${ownSite}`,
      ),
      guardChanged(deps.db),
      deps.db.delete(analyticsDailyStats).where(inRange),
    ]);
    return { deleted: total?.n ?? 0 };
  } catch (e) {
    if (isGuardAbort(e)) throw new AppError("NOT_FOUND", "Site or app not found.");
    throw e;
  }
}
