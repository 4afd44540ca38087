// F-93 rules as pure functions: due dates, the quarterly start day, who may
// run and read reviews, what a change decision may ask for, and completion.
import { describe, expect, it } from "vitest";
import {
  canReadAccessReview,
  canReadReviewStatus,
  canRunAccessReview,
  completionProblem,
  countDecisions,
  dueAt,
  isOverdue,
  isQuarterStart,
  planChange,
  stepsAsked,
  reminderCutoff,
} from "../../src/domain/access-review";

const DAY = 86_400_000;
const at = (iso: string) => Date.parse(iso);

describe("access review dates", () => {
  it("is due 14 days after it starts", () => {
    expect(dueAt(at("2027-01-01T03:00:00Z"))).toBe(at("2027-01-15T03:00:00Z"));
  });

  it("is overdue only while open and past its due time", () => {
    const review = { status: "open" as const, dueAt: at("2027-01-15T03:00:00Z") };
    expect(isOverdue(review, review.dueAt)).toBe(false);
    expect(isOverdue(review, review.dueAt + 1)).toBe(true);
    expect(isOverdue({ ...review, status: "completed" }, review.dueAt + DAY)).toBe(false);
  });

  it("reminds reviews started 7 or more days before now", () => {
    expect(reminderCutoff(at("2027-01-08T03:00:00Z"))).toBe(at("2027-01-01T03:00:00Z"));
  });

  it.each([
    ["2027-01-01T00:00:00Z", true],
    ["2027-01-01T23:59:59Z", true],
    ["2027-04-01T03:00:00Z", true],
    ["2027-07-01T03:00:00Z", true],
    ["2027-10-01T03:00:00Z", true],
    ["2026-12-31T23:59:59Z", false],
    ["2027-01-02T00:00:00Z", false],
    ["2027-02-01T03:00:00Z", false],
    ["2027-03-01T03:00:00Z", false],
    ["2027-11-01T03:00:00Z", false],
  ])("quarter start %s (UTC) → %s", (iso, expected) => {
    expect(isQuarterStart(at(iso))).toBe(expected);
  });
});

describe("who may run and read access reviews", () => {
  const actor = (role: "read_only" | "regular" | "partner_manager" | "operator", orgKind: "vendor" | "partner" | "customer" = "partner") => ({
    role,
    orgKind,
    orgId: "org-a",
  });

  it("lets a Partner Manager of a partner or customer organization run one", () => {
    expect(canRunAccessReview(actor("partner_manager", "partner"))).toBe(true);
    expect(canRunAccessReview(actor("partner_manager", "customer"))).toBe(true);
  });

  it("does not let Regular users, Read-only users or operators run one", () => {
    expect(canRunAccessReview(actor("regular"))).toBe(false);
    expect(canRunAccessReview(actor("read_only"))).toBe(false);
    expect(canRunAccessReview(actor("operator", "vendor"))).toBe(false);
  });

  it("lets a Partner Manager read their own organization's reviews only; operators read all", () => {
    expect(canReadAccessReview(actor("partner_manager"), "org-a")).toBe(true);
    expect(canReadAccessReview(actor("partner_manager"), "org-b")).toBe(false);
    expect(canReadAccessReview(actor("regular"), "org-a")).toBe(false);
    expect(canReadAccessReview(actor("operator", "vendor"), "org-b")).toBe(true);
  });

  it("shows the status across organizations to operators only", () => {
    expect(canReadReviewStatus(actor("operator", "vendor"))).toBe(true);
    expect(canReadReviewStatus(actor("partner_manager"))).toBe(false);
  });
});

describe("what a change decision may ask (planChange)", () => {
  const manager = { role: "partner_manager" as const, analyticsAdmin: false, orgId: "org-a" };
  const aaa = { ...manager, analyticsAdmin: true };
  const user = { name: "Ada", orgId: "org-a", role: "regular" as const, purchaser: true, analyticsAccess: "Y" as const, analyticsAdmin: false };

  it("changes the role when it differs", () => {
    expect(planChange(manager, user, { role: "read_only" })).toEqual({ steps: [{ kind: "role", role: "read_only" }] });
  });

  it("refuses a change that changes nothing, naming the current role", () => {
    const plan = planChange(manager, user, { role: "regular" });
    expect(plan).toEqual({ errors: { role: expect.stringContaining("already a Regular User") } });
    expect(planChange(manager, user, {})).toEqual({ errors: { role: expect.stringContaining("Choose what to change") } });
  });

  it("revokes analytics access only for an Analytics Administrator, and only when there is access", () => {
    expect(planChange(aaa, user, { analyticsAccess: "N" })).toEqual({ steps: [{ kind: "revoke_analytics" }] });
    expect(planChange(manager, user, { analyticsAccess: "N" })).toEqual({ errors: { analyticsAccess: expect.stringContaining("Analytics Administrator") } });
    expect(planChange(aaa, { ...user, analyticsAccess: "N" }, { analyticsAccess: "N" })).toEqual({ errors: { analyticsAccess: expect.stringContaining("no analytics access") } });
  });

  it("asks operators for P or AAA only where the role after the change allows it (F-15, F-22)", () => {
    const plain = { ...user, purchaser: false };
    expect(planChange(manager, plain, { purchaser: true })).toEqual({ steps: [{ kind: "request", secondary: "purchaser" }] });
    expect(planChange(manager, plain, { role: "read_only", purchaser: true })).toEqual({ errors: { purchaser: expect.stringContaining("Regular Users and Partner Managers") } });
    expect(planChange(manager, plain, { analyticsAdmin: true })).toEqual({ errors: { analyticsAdmin: expect.stringContaining("only be given to Partner Managers") } });
    expect(planChange(manager, plain, { role: "partner_manager", analyticsAdmin: true })).toEqual({
      steps: [
        { kind: "role", role: "partner_manager" },
        { kind: "request", secondary: "analytics_admin" },
      ],
    });
  });

  it("refuses asking for a secondary role the user already holds", () => {
    expect(planChange(manager, user, { purchaser: true })).toEqual({ errors: { purchaser: expect.stringContaining("already has it") } });
  });

  it("asks for the same steps in the same order as planChange whenever every field is a real change (stepsAsked)", () => {
    const plain = { ...user, role: "read_only" as const, purchaser: false };
    const changes = [
      { role: "regular" as const },
      { analyticsAccess: "N" as const },
      { role: "partner_manager" as const, analyticsAccess: "N" as const, purchaser: true as const, analyticsAdmin: true as const },
      { role: "regular" as const, purchaser: true as const },
    ];
    for (const change of changes) expect(planChange(aaa, plain, change)).toEqual({ steps: stepsAsked(change) });
    // The role the user already has is asked for, and planChange drops it: the service then retries with the plan.
    expect(stepsAsked({ role: "read_only", analyticsAccess: "N" })).not.toEqual((planChange(aaa, plain, { role: "read_only", analyticsAccess: "N" }) as { steps: unknown }).steps);
  });
});

describe("completing a review", () => {
  it("counts decisions; an account deleted before a decision counts as deleted, not pending", () => {
    const counts = countDecisions([
      { decision: "pending", deleted: false },
      { decision: "pending", deleted: true },
      { decision: "confirmed", deleted: false },
      { decision: "changed", deleted: true },
      { decision: "deactivated", deleted: false },
    ]);
    expect(counts).toEqual({ pending: 1, confirmed: 1, changed: 1, deactivated: 1, deleted: 1, total: 5 });
  });

  it("refuses while users are pending or once completed, and allows it otherwise", () => {
    expect(completionProblem({ status: "open" }, 2)).toMatch(/2 users still need a decision/);
    expect(completionProblem({ status: "open" }, 1)).toMatch(/1 user still needs a decision/);
    expect(completionProblem({ status: "completed" }, 0)).toMatch(/already completed/);
    expect(completionProblem({ status: "open" }, 0)).toBeNull();
  });
});
