// Account states (product.md): invited → pending_2fa → active ⇄ deactivated.
export const ACCOUNT_STATUSES = ["invited", "pending_2fa", "active", "deactivated"] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

/** Only these states may pass the password step; pending_2fa goes on to enrollment. */
export const canStartSignIn = (status: AccountStatus) => status === "active" || status === "pending_2fa";

/** Sessions exist only for active accounts; any other state ends them on the next request. */
export const canHoldSession = (status: AccountStatus) => status === "active";

export const STATUS_LABELS: Record<AccountStatus, string> = {
  invited: "Invited",
  pending_2fa: "Awaiting 2FA setup",
  active: "Active",
  deactivated: "Deactivated",
};
