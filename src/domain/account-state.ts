// Account states (product.md): invited → pending_2fa → active ⇄ deactivated.
export const ACCOUNT_STATUSES = ["invited", "pending_2fa", "active", "deactivated"] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

/** Only these states may pass the password step; pending_2fa goes on to enrollment. */
export const canStartSignIn = (status: AccountStatus) => status === "active" || status === "pending_2fa";

/** Sessions exist only for active accounts; any other state ends them on the next request. */
export const canHoldSession = (status: AccountStatus) => status === "active";

/** What an administrator may do to an account in each state (F-03, F-06, F-14), as lists a query can use too. */
export const REINVITABLE_STATUSES = ["invited"] as const satisfies readonly AccountStatus[];
export const ACTIVATABLE_STATUSES = ["deactivated"] as const satisfies readonly AccountStatus[];
export const TWO_FACTOR_RESETTABLE_STATUSES = ["active", "pending_2fa"] as const satisfies readonly AccountStatus[];
export const isIn = (statuses: readonly AccountStatus[], status: AccountStatus) => statuses.includes(status);

export const STATUS_LABELS: Record<AccountStatus, string> = {
  invited: "Invited",
  pending_2fa: "Awaiting 2FA setup",
  active: "Active",
  deactivated: "Deactivated",
};
