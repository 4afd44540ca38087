// Every mail the portal sends, as subject + plain text + HTML. Links are built
// from the configured origin by the caller, never from the request's Host.
import { html } from "hono/html";

export interface MailContent {
  subject: string;
  text: string;
  html: string;
}

export function compose(subject: string, paragraphs: string[], action?: { label: string; url: string }): MailContent {
  const text = [...paragraphs, ...(action ? [`${action.label}: ${action.url}`] : [])].join("\n\n");
  const body = html`<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5">
${paragraphs.map((p) => html`<p>${p}</p>`)}
${action ? html`<p><a href="${action.url}">${action.label}</a></p><p style="color:#666;font-size:12px">${action.url}</p>` : ""}
</body></html>`;
  return { subject, text, html: body.toString() };
}

export const invitationMail = (p: { appName: string; name: string; orgName: string; url: string; inviter: string | null }) =>
  compose(
    `You're invited to the ${p.appName} partner portal`,
    [
      `Hello ${p.name},`,
      `${p.inviter ?? p.appName} invited you to join ${p.orgName} on the ${p.appName} partner portal.`,
      "Open the link below to set your password, agree to the privacy policy and create your account. The link works once and expires in 7 days. After that you will set up two-factor authentication at your first sign-in.",
    ],
    { label: "Activate your account", url: p.url },
  );

export const passwordResetMail = (p: { appName: string; name: string; url: string }) =>
  compose(
    `Reset your ${p.appName} password`,
    [
      `Hello ${p.name},`,
      "Someone asked to reset the password of your account. If it was you, open the link below within one hour. You will still need your authenticator app to sign in.",
      "If it was not you, ignore this mail: your password stays as it is.",
    ],
    { label: "Choose a new password", url: p.url },
  );

export const SECURITY_NOTICES = {
  two_factor_enrolled: "Two-factor authentication was set up for your account.",
  two_factor_reset: "Two-factor authentication of your account was reset by an administrator. You will set it up again at your next sign-in.",
  recovery_code_used: "A recovery code was used to sign in to your account.",
  recovery_codes_regenerated: "New recovery codes were generated for your account; the old ones no longer work.",
  password_changed: "The password of your account was changed and your other sessions were signed out.",
  role_changed: "Your role in the portal was changed.",
  api_token_created: "A personal API token was created for your account.",
  new_sign_in: "There was a new sign-in to your account from a device or address not seen before.",
} as const;
export type SecurityNotice = keyof typeof SECURITY_NOTICES;

export const securityNoticeMail = (p: { appName: string; name: string; notice: SecurityNotice; detail?: string; origin: string }) =>
  compose(
    `Security notice: ${SECURITY_NOTICES[p.notice].split(/[.;]/)[0]}`,
    [
      `Hello ${p.name},`,
      SECURITY_NOTICES[p.notice],
      ...(p.detail ? [p.detail] : []),
      "If this was not you, reset your password and contact your Partner Manager at once.",
    ],
    { label: "Review your account", url: `${p.origin}/account` },
  );

export const deactivatedMail = (p: { appName: string; name: string }) =>
  compose(`Your ${p.appName} account was deactivated`, [
    `Hello ${p.name},`,
    `Your ${p.appName} partner portal account was deactivated. Ask your Partner Manager if you need access again.`,
  ]);

/** F-33: the ordering Purchaser's confirmation of a license plan order. */
export const planOrderMail = (p: { appName: string; name: string; companyName: string; planLabel: string; seats: number; price: string; total: string; renewsOn: string; url: string }) =>
  compose(
    `Order confirmation: ${p.planLabel} for ${p.companyName}`,
    [
      `Hello ${p.name},`,
      `You ordered the ${p.planLabel} license plan for ${p.companyName} on the ${p.appName} partner portal.`,
      `Seats: ${p.seats}. Price per seat and term: ${p.price}. Total for this term: ${p.total}.`,
      `The plan runs until ${p.renewsOn}, when it is due for renewal.`,
      "If you did not place this order, contact your Partner Manager at once.",
    ],
    { label: "View the company's plans", url: p.url },
  );

const utcDate = (ms: number) => new Date(ms).toISOString().replace("T", " ").slice(0, 16) + " UTC";

/** F-92: one reminder before an invitation expires. The token is stored only as a hash, so the reminder cannot repeat the link. */
export const invitationReminderMail = (p: { appName: string; name: string; orgName: string; expiresAt: number; origin: string }) =>
  compose(
    `Reminder: your ${p.appName} invitation expires soon`,
    [
      `Hello ${p.name},`,
      `Your invitation to join ${p.orgName} on the ${p.appName} partner portal expires on ${utcDate(p.expiresAt)}.`,
      "Open the activation link in the invitation mail to set your password and create your account. If you cannot find that mail, ask for a fresh link with your email address on the page below.",
    ],
    { label: "Get a fresh activation link", url: `${p.origin}/forgot-password` },
  );

/** F-16: the Partner Manager who asked hears the operators' decision. */
export const roleRequestDecisionMail = (p: { appName: string; name: string; approved: boolean; roleLabel: string; userName: string; userEmail: string; origin: string }) =>
  compose(
    `Your request for ${p.roleLabel} was ${p.approved ? "approved" : "rejected"}`,
    [
      `Hello ${p.name},`,
      p.approved
        ? `Your request to give ${p.userName} (${p.userEmail}) the ${p.roleLabel} role was approved. It is active now.`
        : `Your request to give ${p.userName} (${p.userEmail}) the ${p.roleLabel} role was rejected by an operator.`,
    ],
    { label: "See your organization's requests", url: `${p.origin}/requests` },
  );

/** F-16: stands in for "send an email to bizops": operators hear of a new request. */
export const roleRequestCreatedMail = (p: { appName: string; roleLabel: string; userName: string; userEmail: string; orgName: string; requester: string; origin: string }) =>
  compose(`New request: ${p.roleLabel} for ${p.userName} (${p.orgName})`, [
    `${p.requester} of ${p.orgName} asks for ${p.roleLabel} for ${p.userName} (${p.userEmail}).`,
    `Approve or reject it in the requests queue: ${p.origin}/requests`,
  ]);

/**
 * F-70/F-94: the one inactivity reminder. The sweep renders it once and fills
 * the per-account parts in SQL (services/inactivity.ts), so `name` and `url`
 * arrive as placeholders there.
 */
export const inactivityReminderMail = (p: { appName: string; name: string; url: string; deactivatesOn: string }) =>
  compose(
    `Your ${p.appName} account will be deactivated soon`,
    [
      `Hello ${p.name},`,
      `You have not signed in to the ${p.appName} partner portal for 150 days. Unless you sign in or use the link below, your account will be deactivated on ${p.deactivatesOn}.`,
      "The link works once and keeps your account without signing in.",
    ],
    { label: "Keep my account", url: p.url },
  );

/** F-33: the daily run renewed a plan with auto-renew on, or let one without it expire. To the partner's Purchasers. */
export const planTermEndedMail = (p: { appName: string; companyName: string; planLabel: string; renewed: boolean; until: string; url: string }) =>
  compose(
    p.renewed ? `License plan renewed: ${p.planLabel} for ${p.companyName}` : `License plan expired: ${p.planLabel} for ${p.companyName}`,
    [
      "Hello,",
      p.renewed
        ? `The ${p.planLabel} license plan of ${p.companyName} renewed automatically for another term, until ${p.until}.`
        : `The ${p.planLabel} license plan of ${p.companyName} reached the end of its term and has expired. Renew it on the ${p.appName} partner portal to keep the service.`,
      "You receive this as a Purchaser of the partner organization that manages this company.",
    ],
    { label: "View the company's plans", url: p.url },
  );
