// Why an invitation's activation link no longer works, said so its holder
// knows what to do next (F-03, F-14, F-92). "Revoked" in the data covers two
// stories: a re-invite replaced the link (a newer one is in their mail, and
// "Get a new link" mails another), or a Partner Manager withdrew it (nothing
// the invitee does brings it back; forgot-password sends nothing then).
import type { AccountStatus } from "./account-state";
import type { LinkState } from "./tokens";

export type ActivationProblem = "used" | "replaced" | "withdrawn" | "expired";

/** null while the link can still activate the account. `isLatest`: no newer invitation for the account exists. */
export function activationProblem(state: LinkState, status: AccountStatus, isLatest: boolean): ActivationProblem | null {
  if (state === "used" || status === "pending_2fa" || status === "active") return "used";
  if (status === "deactivated") return "withdrawn";
  if (!isLatest) return "replaced";
  if (state === "revoked") return "withdrawn";
  if (state === "expired") return "expired";
  return null;
}

/** Forgot-password mails an invitee a fresh activation link (unless the invitation was withdrawn). */
export const NEW_ACTIVATION_LINK = { href: "/forgot-password", label: "Get a new link" };

export const ACTIVATION_PROBLEMS: Record<ActivationProblem, { code: "INVALID_TOKEN" | "EXPIRED_TOKEN"; message: string; next: { href: string; label: string } | null }> = {
  used: { code: "INVALID_TOKEN", message: "This activation link was already used: the account exists. Sign in with its email and password.", next: { href: "/login", label: "Sign in" } },
  replaced: {
    code: "INVALID_TOKEN",
    message: "A newer invitation replaced this link. Use the link in the most recent invitation mail, or get a new one.",
    next: NEW_ACTIVATION_LINK,
  },
  withdrawn: { code: "INVALID_TOKEN", message: "This invitation was withdrawn. Ask a Partner Manager of your organization to invite you again.", next: null },
  expired: {
    code: "EXPIRED_TOKEN",
    message: "This activation link has expired. Get a new one, or ask a Partner Manager of your organization to invite you again.",
    next: NEW_ACTIVATION_LINK,
  },
};
