// What showing an account reads and answers: never credential material.
import { describe, expect, it } from "vitest";
import { users } from "../../src/db/schema";
import { publicUserColumns, toPublicUser } from "../../src/services/user-shape";

const CREDENTIALS = ["passwordHash", "totpSecretEnc", "totpLastStep", "sessionsValidAfter"] as const;

describe("the public shape of an account", () => {
  it("selects no credential column, so lists and pages never read a hash or secret out of D1", () => {
    for (const column of CREDENTIALS) expect(users[column], column).toBeDefined();
    for (const column of Object.values(publicUserColumns)) expect(CREDENTIALS.map((c) => users[c].name)).not.toContain(column.name);
  });

  it("answers every selected column, with times as ISO strings", () => {
    const row = {
      id: "u1",
      email: "a@example.com",
      name: "Ann",
      role: "regular" as const,
      orgId: "o1",
      status: "active" as const,
      purchaser: false,
      analyticsAccess: "N" as const,
      analyticsAdmin: false,
      analyticsOwner: false,
      lastLoginAt: null,
      createdAt: Date.UTC(2026, 0, 2),
    };
    expect(Object.keys(toPublicUser(row)).sort()).toEqual(Object.keys(publicUserColumns).sort());
    expect(toPublicUser(row).createdAt).toBe("2026-01-02T00:00:00.000Z");
  });
});
