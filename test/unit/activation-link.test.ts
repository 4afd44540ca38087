// What an activation link's holder is told when it no longer works.
import { describe, expect, it } from "vitest";
import { ACTIVATION_PROBLEMS, activationProblem } from "../../src/domain/activation-link";

describe("activationProblem", () => {
  it.each([
    ["usable", "invited", true, null],
    ["used", "pending_2fa", true, "used"],
    ["used", "active", false, "used"],
    ["usable", "active", true, "used"],
    ["revoked", "deactivated", true, "withdrawn"],
    ["usable", "deactivated", true, "withdrawn"],
    ["revoked", "invited", false, "replaced"],
    ["expired", "invited", false, "replaced"],
    ["revoked", "invited", true, "withdrawn"],
    ["expired", "invited", true, "expired"],
  ] as const)("a %s link of an %s account (latest: %s) is %s", (state, status, isLatest, problem) => {
    expect(activationProblem(state, status, isLatest)).toBe(problem);
  });

  it("offers a new link only where forgot-password sends one: never for a withdrawn invitation", () => {
    expect(ACTIVATION_PROBLEMS.withdrawn.next).toBeNull();
    expect(ACTIVATION_PROBLEMS.replaced.next?.href).toBe("/forgot-password");
    expect(ACTIVATION_PROBLEMS.expired.next?.href).toBe("/forgot-password");
    expect(ACTIVATION_PROBLEMS.used.next?.href).toBe("/login");
  });
});
