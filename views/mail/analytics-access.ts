// Mail about analytics access (F-23, F-24, F-41). Links use the configured
// origin, passed in by the caller.
import { compose } from "./templates";

/** F-23: the invitation; accepting needs a signed-in session (2FA done), so the link only leads there. */
export const analyticsInvitationMail = (p: { appName: string; name: string; inviter: string; orgName: string; origin: string; resent: boolean }) =>
  compose(
    p.resent ? `Reminder: you're invited to ${p.appName} Analytics` : `You're invited to ${p.appName} Analytics`,
    [
      `Hello ${p.name},`,
      `${p.inviter}, Analytics Administrator of ${p.orgName}, invited you to use ${p.appName} Analytics.`,
      "To activate your access: open the link below, sign in to the partner portal with your password and two-factor authentication, and select Accept. Your access starts at once.",
      "If you did not expect this, you can ignore this mail; nothing changes until you accept.",
    ],
    { label: "Accept the invitation", url: `${p.origin}/analytics/accept` },
  );

/** F-24: the user learns their analytics access ended; the portal account stays. */
export const analyticsRevokedMail = (p: { appName: string; name: string; by: string }) =>
  compose(`Your ${p.appName} Analytics access was removed`, [
    `Hello ${p.name},`,
    `${p.by} removed your access to ${p.appName} Analytics. Your partner portal account is not affected.`,
    "Ask your Analytics Administrator if you need access again.",
  ]);

/** F-41: made owner of the workspace, or no longer owner. */
export const analyticsOwnerMail = (p: { appName: string; name: string; by: string; owner: boolean; origin: string }) =>
  compose(
    p.owner ? `You are now an owner of your ${p.appName} Analytics workspace` : `You are no longer an owner of your ${p.appName} Analytics workspace`,
    [
      `Hello ${p.name},`,
      p.owner
        ? `${p.by} made you an owner of your organization's ${p.appName} Analytics workspace. Owners have unlimited access: every site and app, every module, and they can make other users owner.`
        : `${p.by} removed your owner role in your organization's ${p.appName} Analytics workspace. You keep the site and module permissions you were given.`,
    ],
    { label: "Open Analytics", url: `${p.origin}/analytics` },
  );
