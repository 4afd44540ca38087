// The account as the API and pages show it: never a hash, secret or token.
import { users } from "../db/schema";

/**
 * The columns an account is shown with. Reads that only show accounts select
 * these, so password hashes and authenticator secrets never leave D1 for a
 * list or a page (and the answers stay small).
 */
export const publicUserColumns = {
  id: users.id,
  email: users.email,
  name: users.name,
  role: users.role,
  orgId: users.orgId,
  status: users.status,
  purchaser: users.purchaser,
  analyticsAccess: users.analyticsAccess,
  analyticsAdmin: users.analyticsAdmin,
  analyticsOwner: users.analyticsOwner,
  lastLoginAt: users.lastLoginAt,
  createdAt: users.createdAt,
};

type PublicUserRow = Pick<typeof users.$inferSelect, keyof typeof publicUserColumns>;

export function toPublicUser(u: PublicUserRow) {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role,
    orgId: u.orgId,
    status: u.status,
    purchaser: u.purchaser,
    analyticsAccess: u.analyticsAccess,
    analyticsAdmin: u.analyticsAdmin,
    analyticsOwner: u.analyticsOwner,
    lastLoginAt: u.lastLoginAt ? new Date(u.lastLoginAt).toISOString() : null,
    createdAt: new Date(u.createdAt).toISOString(),
  };
}
export type PublicUser = ReturnType<typeof toPublicUser>;
