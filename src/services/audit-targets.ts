// What the audit log calls an entry's target (F-50): its current name, looked
// up only inside the entry's own organization (what it owns, itself and the
// companies it manages). Whoever may read the entry sees those elsewhere
// anyway; an id from anywhere else, or of a target since deleted, stays an id.
import { and, eq, inArray, or, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import {
  analyticsBlocks,
  analyticsCampaigns,
  analyticsLicenseKeys,
  analyticsMetaSites,
  analyticsSegments,
  analyticsSites,
  analyticsTags,
  apiTokens,
  auditEvents,
  companyPlans,
  companyServices,
  organizations,
  users,
} from "../db/schema";
import { planLabelSql } from "../domain/license-plans";

const targetUser = alias(users, "target_user");
const targetOrg = alias(organizations, "target_org");
const targetSite = alias(analyticsSites, "target_site");
const targetMetaSite = alias(analyticsMetaSites, "target_meta_site");
const targetCampaign = alias(analyticsCampaigns, "target_campaign");
const targetLicenseKey = alias(analyticsLicenseKeys, "target_license_key");
const targetBlock = alias(analyticsBlocks, "target_block");

/** The kinds of target that belong to one organization (an org_id column), with what the log calls one. */
const ORG_OWNED_TARGETS = [
  { type: "user", table: targetUser, label: sql`${targetUser.name} || ' (' || ${targetUser.email} || ')'` },
  { type: "analytics_site", table: targetSite, label: sql`${targetSite.name}` },
  { type: "analytics_meta_site", table: targetMetaSite, label: sql`${targetMetaSite.name}` },
  { type: "analytics_campaign", table: targetCampaign, label: sql`${targetCampaign.name}` },
  { type: "analytics_license_key", table: targetLicenseKey, label: sql`${targetLicenseKey.key}` },
  { type: "analytics_block", table: targetBlock, label: sql`${targetBlock.kind} || ' ' || ${targetBlock.value}` },
] as const;

const targetTag = alias(analyticsTags, "target_tag");
const tagSite = alias(analyticsSites, "target_tag_site");
const targetSegment = alias(analyticsSegments, "target_segment");
const segmentMetaSite = alias(analyticsMetaSites, "target_segment_meta_site");
const targetToken = alias(apiTokens, "target_token");
const tokenUser = alias(users, "target_token_user");
const targetService = alias(companyServices, "target_service");
const serviceCompany = alias(organizations, "target_service_company");
const targetPlan = alias(companyPlans, "target_plan");
const planCompany = alias(organizations, "target_plan_company");

/**
 * The kinds of target that belong to an organization through a parent row: a
 * tag through its site, a segment through its meta site, a token through its
 * account, a company's service or plan through the company the organization
 * manages. The label is read only when the parent is the entry's organization's.
 */
const PARENT_OWNED_TARGETS = [
  { type: "analytics_tag", table: targetTag, parent: tagSite, ofParent: eq(tagSite.id, targetTag.siteId), owned: eq(tagSite.orgId, auditEvents.orgId), label: sql`${targetTag.name} || ' (' || ${tagSite.name} || ')'` },
  {
    type: "analytics_segment",
    table: targetSegment,
    parent: segmentMetaSite,
    ofParent: eq(segmentMetaSite.id, targetSegment.metaSiteId),
    owned: eq(segmentMetaSite.orgId, auditEvents.orgId),
    label: sql`${targetSegment.name} || ' (' || ${segmentMetaSite.name} || ')'`,
  },
  { type: "api_token", table: targetToken, parent: tokenUser, ofParent: eq(tokenUser.id, targetToken.userId), owned: eq(tokenUser.orgId, auditEvents.orgId), label: sql`${targetToken.name} || ' (' || ${tokenUser.email} || ')'` },
  {
    type: "company_service",
    table: targetService,
    parent: serviceCompany,
    ofParent: eq(serviceCompany.id, targetService.companyId),
    owned: eq(serviceCompany.managedBy, auditEvents.orgId),
    label: sql`${targetService.name} || ' (' || ${serviceCompany.name} || ')'`,
  },
  {
    type: "plan",
    table: targetPlan,
    parent: planCompany,
    ofParent: eq(planCompany.id, targetPlan.companyId),
    owned: eq(planCompany.managedBy, auditEvents.orgId),
    label: sql`${planLabelSql(targetPlan.plan)} || ' (' || ${planCompany.name} || ')'`,
  },
] as const;

/** The target's name, or null: a column for a select whose query went through joinTargets. */
export const targetLabel = sql<string | null>`coalesce(${sql.join(
  [...ORG_OWNED_TARGETS.map((t) => t.label), ...PARENT_OWNED_TARGETS.map((t) => sql`CASE WHEN ${t.parent.id} IS NOT NULL THEN ${t.label} END`)],
  sql`, `,
)}, ${targetOrg.name})`;

/** The joins, onto a select over audit_events, of the rows targetLabel reads (in this order). */
export const TARGET_JOINS = [
  {
    table: targetOrg,
    on: and(
      inArray(auditEvents.targetType, ["organization", "company"]),
      eq(targetOrg.id, auditEvents.targetId),
      or(eq(targetOrg.id, auditEvents.orgId), eq(targetOrg.managedBy, auditEvents.orgId)),
    ),
  },
  ...ORG_OWNED_TARGETS.map((t) => ({ table: t.table, on: and(eq(auditEvents.targetType, t.type), eq(t.table.id, auditEvents.targetId), eq(t.table.orgId, auditEvents.orgId)) })),
  ...PARENT_OWNED_TARGETS.flatMap((t) => [
    { table: t.table, on: and(eq(auditEvents.targetType, t.type), eq(t.table.id, auditEvents.targetId)) },
    { table: t.parent, on: and(t.ofParent, t.owned) },
  ]),
];
