// sameActor decides whether a held session's account still stands (held-session.ts):
// any field or module grant that differs means the request is answered afresh.
import { describe, expect, it } from "vitest";
import { sameActor, type Actor } from "../../src/domain/actor";

const base: Actor = {
  id: "u1",
  orgId: "o1",
  orgKind: "partner",
  orgName: "Acme",
  email: "a@example.com",
  name: "Ann",
  role: "partner_manager",
  purchaser: false,
  analyticsAccess: "Y",
  analyticsAdmin: false,
  analyticsOwner: false,
  modules: { reporting_api: "full", reachout: "read_only" },
};

describe("sameActor", () => {
  it("holds for an equal account whose module grants came back in another order", () => {
    expect(sameActor(base, { ...base, modules: { reachout: "read_only", reporting_api: "full" } })).toBe(true);
  });

  it.each([
    ["role", { role: "read_only" }],
    ["organization name", { orgName: "Acme Ltd" }],
    ["purchaser flag", { purchaser: true }],
    ["analytics access", { analyticsAccess: "I" }],
    ["analytics admin", { analyticsAdmin: true }],
    ["analytics owner", { analyticsOwner: true }],
    ["email", { email: "b@example.com" }],
  ] as [string, Partial<Actor>][])("fails when the %s differs", (_, change) => {
    expect(sameActor(base, { ...base, ...change })).toBe(false);
    expect(sameActor({ ...base, ...change }, base)).toBe(false);
  });

  it("fails when a module grant was added, removed or changed", () => {
    expect(sameActor(base, { ...base, modules: { ...base.modules, product_admin: "full" } })).toBe(false);
    expect(sameActor(base, { ...base, modules: { reporting_api: "full" } })).toBe(false);
    expect(sameActor(base, { ...base, modules: { reporting_api: "read_only", reachout: "read_only" } })).toBe(false);
  });
});
