// F-92 bulk invite through the API: the preview reports every row (invite /
// already a user / invalid: why) and writes nothing; the commit checks again
// and invites every valid row in one batch with invitations, mails and audit.
import { env } from "cloudflare:test";
import { eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditEvents, invitations, users } from "../../src/db/schema";
import { MAX_BULK_ROWS } from "../../src/domain/bulk-invite";
import { api, db, expectError, mailTo, makeOperator, makeUser, signIn, uniqueEmail } from "../helpers/fixtures";
import { partnerOrg, signedIn } from "../helpers/portal";

interface Report {
  rows: { line: number; email: string; name: string; role: string; outcome: string; reason?: string; userId?: string }[];
  summary: { invite: number; invited: number; alreadyUser: number; invalid: number };
}

async function counts() {
  const [u, i, m, a] = await env.DB.batch([
    env.DB.prepare("SELECT count(*) AS n FROM users"),
    env.DB.prepare("SELECT count(*) AS n FROM invitations"),
    env.DB.prepare("SELECT count(*) AS n FROM outbox"),
    env.DB.prepare("SELECT count(*) AS n FROM audit_events"),
  ]);
  const n = (r: D1Result | undefined) => (r!.results[0] as { n: number }).n;
  return { users: n(u), invitations: n(i), outbox: n(m), audit: n(a) };
}

/** A CSV with one row of every kind; returns it with the addresses involved. */
async function mixedCsv() {
  const existing = await makeUser(); // in another organization: addresses are global
  const fresh1 = uniqueEmail("bulk-a");
  const fresh2 = uniqueEmail("bulk-b");
  const csv = [
    "email,name,role",
    `${fresh1},Ann Able,Regular User`,
    ` ${existing.email.toUpperCase()} ,Existing Person,read_only`,
    "not-an-email,Bad Address,regular",
    `${uniqueEmail("bulk-c")},Bad Role,Boss`,
    "",
    `${fresh1.toUpperCase()},Ann Again,regular`,
    `${fresh2},"Brown, Bea",partner manager`,
    `${uniqueEmail("bulk-d")},,regular`,
  ].join("\n");
  return { csv, existing, fresh1, fresh2 };
}

describe("bulk invite preview (F-92)", () => {
  it("reports each row of a mixed CSV and writes nothing", async () => {
    const { cookie } = await partnerOrg();
    const { csv, existing, fresh1, fresh2 } = await mixedCsv();
    const before = await counts();

    const res = await api("/api/v1/users/bulk-invite/preview", { cookie, body: { csv } });
    expect(res.status).toBe(200);
    const report = (await res.json()) as Report;
    expect(report.rows).toEqual([
      { line: 2, email: fresh1, name: "Ann Able", role: "regular", outcome: "invite" },
      { line: 3, email: existing.email, name: "Existing Person", role: "read_only", outcome: "already_user", reason: expect.stringMatching(/already has an account/) },
      { line: 4, email: "not-an-email", name: "Bad Address", role: "regular", outcome: "invalid", reason: expect.stringMatching(/not a valid email/) },
      { line: 5, email: expect.any(String), name: "Bad Role", role: "Boss", outcome: "invalid", reason: expect.stringMatching(/"Boss" is not a portal role/) },
      { line: 7, email: fresh1, name: "Ann Again", role: "regular", outcome: "invalid", reason: "The same address is already on line 2." },
      { line: 8, email: fresh2, name: "Brown, Bea", role: "partner_manager", outcome: "invite" },
      { line: 9, email: expect.any(String), name: "", role: "regular", outcome: "invalid", reason: "The name is missing." },
    ]);
    expect(report.summary).toEqual({ invite: 2, invited: 0, alreadyUser: 1, invalid: 4 });
    expect(await counts()).toEqual(before);
    expect(await mailTo(fresh1)).toHaveLength(0);
  });

  it("takes rows without a header in email,name,role order, and a header in any column order", async () => {
    const { cookie } = await partnerOrg();
    const a = uniqueEmail("nohead");
    const plain = (await (await api("/api/v1/users/bulk-invite/preview", { cookie, body: { csv: `${a},Al,Read-only User` } })).json()) as Report;
    expect(plain.rows).toEqual([{ line: 1, email: a, name: "Al", role: "read_only", outcome: "invite" }]);

    const reordered = (await (await api("/api/v1/users/bulk-invite/preview", { cookie, body: { csv: `Role,Name,Email,Phone\npartner_manager,Pia,${a},123` } })).json()) as Report;
    expect(reordered.rows).toEqual([{ line: 2, email: a, name: "Pia", role: "partner_manager", outcome: "invite" }]);
  });

  it("refuses an empty CSV, too many rows and unknown fields with 422", async () => {
    const { cookie } = await partnerOrg();
    const empty = await expectError(await api("/api/v1/users/bulk-invite/preview", { cookie, body: { csv: " \n\n" } }), 422, "validation_failed");
    expect(empty.fields?.csv).toMatch(/at least one row/);
    const many = Array.from({ length: MAX_BULK_ROWS + 1 }, (_, i) => `x${i}@example.com,X,regular`).join("\n");
    const tooMany = await expectError(await api("/api/v1/users/bulk-invite/preview", { cookie, body: { csv: many } }), 422, "validation_failed");
    expect(tooMany.fields?.csv).toMatch(new RegExp(`At most ${MAX_BULK_ROWS} rows`));
    await expectError(await api("/api/v1/users/bulk-invite/preview", { cookie, body: { csv: "a@b.c,A,regular", dryRun: true } }), 422, "validation_failed");
  });

  it("is for Partner Managers: Regular and Read-only get 403, operators 403 (they onboard organizations)", async () => {
    const { org } = await partnerOrg();
    const csv = `${uniqueEmail("x")},X,regular`;
    for (const role of ["regular", "read_only"] as const) {
      const { cookie } = await signedIn(org.id, role);
      await expectError(await api("/api/v1/users/bulk-invite/preview", { cookie, body: { csv } }), 403, "forbidden");
      await expectError(await api("/api/v1/users/bulk-invite", { cookie, body: { csv } }), 403, "forbidden");
    }
    const opCookie = await signIn(await makeOperator());
    await expectError(await api("/api/v1/users/bulk-invite", { cookie: opCookie, body: { csv } }), 403, "forbidden");
  });
});

describe("bulk invite commit (F-92)", () => {
  it("invites every valid row in the caller's organization with invitation, mail and audit, and reports the rest", async () => {
    const { org, manager, cookie } = await partnerOrg();
    const { csv, existing, fresh1, fresh2 } = await mixedCsv();
    const before = await counts();

    const res = await api("/api/v1/users/bulk-invite", { cookie, body: { csv } });
    expect(res.status).toBe(200);
    const report = (await res.json()) as Report;
    expect(report.summary).toEqual({ invite: 0, invited: 2, alreadyUser: 1, invalid: 4 });
    const invited = report.rows.filter((r) => r.outcome === "invited");
    expect(invited.map((r) => r.email)).toEqual([fresh1, fresh2]);

    const rows = await db().select().from(users).where(inArray(users.email, [fresh1, fresh2]));
    expect(rows.map((u) => [u.email, u.name, u.role, u.status, u.orgId]).sort()).toEqual(
      [
        [fresh1, "Ann Able", "regular", "invited", org.id],
        [fresh2, "Brown, Bea", "partner_manager", "invited", org.id],
      ].sort(),
    );
    expect(invited.map((r) => r.userId).sort()).toEqual(rows.map((u) => u.id).sort());
    const invs = await db().select().from(invitations).where(inArray(invitations.userId, rows.map((u) => u.id)));
    expect(invs).toHaveLength(2);
    expect(invs.every((i) => i.invitedBy === manager.id)).toBe(true);
    const audit = await db().select().from(auditEvents).where(inArray(auditEvents.targetId, rows.map((u) => u.id)));
    expect(audit.map((a) => a.action)).toEqual(["user.invited", "user.invited"]);
    expect(audit.every((a) => a.actorId === manager.id && a.orgId === org.id)).toBe(true);
    expect(await counts()).toEqual({ users: before.users + 2, invitations: before.invitations + 2, outbox: before.outbox + 2, audit: before.audit + 2 });

    // Each invitee got a working activation link.
    const [mail] = await mailTo(fresh2);
    expect(mail!.text).toMatch(/\/activate\?token=/);
    // The existing account was left alone.
    expect((await db().select().from(users).where(eq(users.id, existing.id)))[0]!.orgId).toBe(existing.orgId);

    // Sending the same CSV again invites nobody twice.
    const again = (await (await api("/api/v1/users/bulk-invite", { cookie, body: { csv } })).json()) as Report;
    expect(again.summary).toEqual({ invite: 0, invited: 0, alreadyUser: 3, invalid: 4 });
    expect(await mailTo(fresh1)).toHaveLength(1);
  });

  it("inserts many rows in chunks within D1's limits (150 invitees in one batch)", async () => {
    const { org, cookie } = await partnerOrg();
    const emails = Array.from({ length: 150 }, (_, i) => uniqueEmail(`many${i}`));
    const csv = emails.map((e, i) => `${e},Person ${i},${i % 3 === 0 ? "Read-only User" : "regular"}`).join("\r\n");
    const res = await api("/api/v1/users/bulk-invite", { cookie, body: { csv } });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as Report).summary.invited).toBe(150);
    const rows = await db().select({ id: users.id }).from(users).where(eq(users.orgId, org.id));
    expect(rows).toHaveLength(151);
  });
});
