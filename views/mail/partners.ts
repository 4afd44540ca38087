// Partner access mail (F-60, F-63, F-64, F-95): the partner user hears of a
// grant, a changed end date and the end of access; the granting organization's
// Partner Managers get a copy of each. The cron renders the "ended" mails once
// with placeholders and fills them per row in SQL (services/partner-access-sweep.ts).
import { compose } from "./templates";

const when = (ms: number) => new Date(ms).toISOString().replace("T", " ").slice(0, 16) + " UTC";
const untilText = (expiresAt: number | null) => (expiresAt === null ? "The access has no end date." : `The access ends on ${when(expiresAt)}.`);

export const partnerAccessGrantedMail = (p: { appName: string; name: string; customerName: string; grantorName: string; expiresAt: number | null; origin: string }) =>
  compose(
    `${p.customerName} gave you access to its insights`,
    [
      `Hello ${p.name},`,
      `${p.grantorName} of ${p.customerName} gave you partner access to ${p.customerName}'s insights on the ${p.appName} partner portal.`,
      `You see its aggregated statistics and licensed capacity on your partner dashboard. ${untilText(p.expiresAt)}`,
    ],
    { label: "Open the partner dashboard", url: `${p.origin}/partner-dashboard` },
  );

export const partnerAccessChangedMail = (p: { appName: string; name: string; customerName: string; expiresAt: number | null; origin: string }) =>
  compose(
    `Your access to ${p.customerName}'s insights changed`,
    [`Hello ${p.name},`, `${p.customerName} changed the end date of your partner access on the ${p.appName} partner portal. ${untilText(p.expiresAt)}`],
    { label: "Open the partner dashboard", url: `${p.origin}/partner-dashboard` },
  );

/** Why access ended: removed by the customer, reached its end date, or no longer allowed (F-64). */
export type AccessEndReason = "removed" | "expired" | "revoked";

const END_REASONS: Record<AccessEndReason, string> = {
  removed: "removed your partner access",
  expired: "gave you partner access until a set date, which has now passed",
  revoked:
    "had given you partner access; it ended because your account or your organization no longer qualifies for it (for example, the organization is no longer a channel partner, or your account was deactivated)",
};

export const partnerAccessEndedMail = (p: { appName: string; name: string; customerName: string; reason: AccessEndReason }) =>
  compose(`Your access to ${p.customerName}'s insights ended`, [
    `Hello ${p.name},`,
    `${p.customerName} ${END_REASONS[p.reason]}.`,
    `You no longer see ${p.customerName} on your ${p.appName} partner dashboard. Your own account, dashboards and data are not affected.`,
  ]);

export type PartnerAccessEvent = "granted" | "changed" | "removed" | "expired" | "revoked";

const COPY_SUBJECTS: Record<PartnerAccessEvent, string> = {
  granted: "Partner access granted",
  changed: "Partner access changed",
  removed: "Partner access removed",
  expired: "Partner access expired",
  revoked: "Partner access ended",
};

/** The copy for the customer organization's Partner Managers. `users` is a list of addresses, already joined. */
export const partnerAccessCopyMail = (p: {
  appName: string;
  name: string;
  customerName: string;
  partnerOrgName: string;
  event: PartnerAccessEvent;
  users: string;
  actorName: string | null;
  detail?: string;
  origin: string;
}) => {
  const by = p.actorName ? ` by ${p.actorName}` : "";
  const lines: Record<PartnerAccessEvent, string> = {
    granted: `Partner access to ${p.customerName}'s insights was granted${by} to users of ${p.partnerOrgName}: ${p.users}.`,
    changed: `Partner access of ${p.partnerOrgName} to ${p.customerName}'s insights was changed${by}. ${p.users}`,
    removed: `Partner access of ${p.partnerOrgName} to ${p.customerName}'s insights was removed${by} for: ${p.users}.`,
    expired: `Partner access of ${p.partnerOrgName} to ${p.customerName}'s insights reached its end date for: ${p.users}.`,
    revoked: `Partner access of ${p.partnerOrgName} to ${p.customerName}'s insights ended automatically for: ${p.users}. The organization is no longer an active channel partner, or these accounts left it or were deactivated.`,
  };
  return compose(
    `${COPY_SUBJECTS[p.event]}: ${p.partnerOrgName}`,
    [`Hello ${p.name},`, lines[p.event], ...(p.detail ? [p.detail] : []), `You get this copy as a Partner Manager of ${p.customerName}.`],
    { label: "Review your partners", url: `${p.origin}/partners` },
  );
};

export const expiryText = untilText;
