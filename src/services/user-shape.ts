// The account as the API and pages show it: never a hash, secret or token.
import type { users } from "../db/schema";

type UserRow = typeof users.$inferSelect;

export function toPublicUser(u: UserRow) {
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
