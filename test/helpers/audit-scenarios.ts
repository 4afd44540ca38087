// The audit-coverage walks (F-50): every state-changing route either has a
// scenario — a real request whose one new audit entry is checked for action,
// actor, organization and target — or an exemption with its reason. Shared by
// the API walk and the pages walk; nothing here knows about either.
import { sql } from "drizzle-orm";
import { expect } from "vitest";
import { auditEvents } from "../../src/db/schema";
import { db } from "./fixtures";
import { routeKey, type RouteEntry } from "./route-table";

export type AuditRow = typeof auditEvents.$inferSelect;

export interface ExpectedAudit {
  action: string;
  /** null where nobody is signed in (a failed sign-in, a forgotten password). Omitted: not checked. */
  actorId?: string | null;
  /** null for entries of no organization (operators' mail retries). Omitted: not checked. */
  orgId?: string | null;
  targetType?: string;
  targetId?: string | null;
}

/** Where the audit log stands now: entries written afterwards have a larger rowid. */
export async function auditMark(): Promise<number> {
  const [row] = await db().select({ last: sql<number | null>`max(rowid)` }).from(auditEvents);
  return row?.last ?? 0;
}

export const auditEntriesSince = (mark: number): Promise<AuditRow[]> => db().select().from(auditEvents).where(sql`rowid > ${mark}`).orderBy(sql`rowid`);

/**
 * Exactly one entry with `expected.action` written since `mark`, with the
 * expected actor, organization and target. Other actions written alongside (an
 * onboarding also invites its manager) are allowed. Returns the entry.
 */
export async function expectAuditEntry(mark: number, expected: ExpectedAudit): Promise<AuditRow> {
  const entries = await auditEntriesSince(mark);
  const matching = entries.filter((e) => e.action === expected.action);
  expect(matching, `one new "${expected.action}" entry; new entries: ${JSON.stringify(entries.map((e) => e.action))}`).toHaveLength(1);
  const checked = Object.fromEntries(Object.entries(expected).filter(([, v]) => v !== undefined));
  expect(matching[0]).toMatchObject(checked);
  return matching[0]!;
}

/** Runs `act` and expects its one audit entry; `expected` may be computed from what `act` returned. */
export async function expectAudited<T>(act: () => Promise<T>, expected: ExpectedAudit | ((result: T) => ExpectedAudit)) {
  const mark = await auditMark();
  const result = await act();
  const entry = await expectAuditEntry(mark, typeof expected === "function" ? expected(result) : expected);
  return { result, entry };
}

// ---------------------------------------------------------------- scenario tables

/**
 * One route's scenario. `arrange` makes what the request needs (rows in D1,
 * or calls of other routes — their entries are written before the mark);
 * `act` is the request itself; `expect` names the entry's actor, org and target.
 */
export interface AuditScenario<Ctx, A = unknown> {
  /** The audit action the request writes. */
  action: string;
  /** What the entry is about, for the test name ("the target user"). */
  about: string;
  arrange?: (ctx: Ctx) => Promise<A>;
  act: (ctx: Ctx, arranged: A) => Promise<Response>;
  /** The status of the request that writes the entry (a failed sign-in is audited with its 401). */
  status: number;
  expect: (ctx: Ctx, arranged: A, body: unknown) => Omit<ExpectedAudit, "action"> | Promise<Omit<ExpectedAudit, "action">>;
}

export type AuditScenarios<Ctx> = Record<string, AuditScenario<Ctx>>;

/** Types one table entry: `Ctx` fixed per table, `A` inferred from its `arrange`. */
export const scenarioFor =
  <Ctx>() =>
  <A = undefined>(s: AuditScenario<Ctx, A>): AuditScenario<Ctx> =>
    s as unknown as AuditScenario<Ctx>;

export const scenarioTitle = (key: string, s: Pick<AuditScenario<unknown>, "action" | "about">) => `${key} writes ${s.action} for ${s.about}`;

/** Arrange, take the mark, act, check the status, and expect the one entry. */
export async function runAuditScenario<Ctx>(ctx: Ctx, s: AuditScenario<Ctx>): Promise<AuditRow> {
  const arranged = s.arrange ? await s.arrange(ctx) : undefined;
  const mark = await auditMark();
  const res = await s.act(ctx, arranged);
  const text = await res.text();
  expect(res.status, text.slice(0, 500)).toBe(s.status);
  const body: unknown = /json/.test(res.headers.get("content-type") ?? "") && text ? JSON.parse(text) : text;
  return expectAuditEntry(mark, { action: s.action, ...(await s.expect(ctx, arranged, body)) });
}

/**
 * What the walk finds wrong: routes with neither a scenario nor an exemption,
 * table keys that are no route (renamed or removed), and routes listed twice.
 */
export function coverageProblems(routes: RouteEntry[], scenarioKeys: string[], exemptions: Record<string, string>) {
  const routeKeys = new Set(routes.map(routeKey));
  const exempt = Object.keys(exemptions);
  return {
    uncovered: [...routeKeys].filter((k) => !scenarioKeys.includes(k) && !(k in exemptions)),
    unknown: [...scenarioKeys, ...exempt].filter((k) => !routeKeys.has(k)),
    both: scenarioKeys.filter((k) => k in exemptions),
    unexplained: exempt.filter((k) => !/\S{3,}/.test(exemptions[k] ?? "")),
  };
}
