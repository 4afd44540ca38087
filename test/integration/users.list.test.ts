// F-12, F-17: GET /api/v1/users with search, role and status filters,
// pagination and the CSV export of the same filter; GET /api/v1/users/managers
// for every user of the organization.
import { csvParseRows } from "d3-dsv";
import { describe, expect, it } from "vitest";
import { api, expectError, makeOrg, makeUser, signIn } from "../helpers/fixtures";
import { signedIn } from "../helpers/portal";

interface ListAnswer {
  items: { id: string; name: string; email: string; role: string; status: string; purchaser: boolean; analyticsAccess: string; analyticsAdmin: boolean; lastLoginAt: string | null }[];
  page: { number: number; size: number; total: number };
}

/** An organization with a known set of users, and a signed-in Read-only member. */
async function populatedOrg() {
  const org = await makeOrg();
  const at = Date.UTC(2026, 0, 2, 3, 4, 5);
  const ada = await makeUser({ orgId: org.id, name: "Ada Lovelace", role: "partner_manager", purchaser: true, analyticsAdmin: true, analyticsAccess: "Y", lastLoginAt: at });
  const bob = await makeUser({ orgId: org.id, name: "Bob Builder", role: "regular", analyticsAccess: "I" });
  const cy = await makeUser({ orgId: org.id, name: "Cy Twombly", role: "regular", status: "deactivated" });
  const dee = await makeUser({ orgId: org.id, name: "=HYPERLINK(\"http://evil.example\")", role: "read_only", status: "invited", passwordHash: null, totpSecretEnc: null });
  const reader = await signedIn(org.id, "read_only", { name: "Zed Reader" });
  return { org, ada, bob, cy, dee, reader, at };
}

const list = async (cookie: string, query = "") => {
  const res = await api(`/api/v1/users${query}`, { cookie });
  expect(res.status).toBe(200);
  return (await res.json()) as ListAnswer;
};

describe("GET /api/v1/users (F-12)", () => {
  it("lists the caller's organization only, sorted by name, with P, AA, AAA and last login", async () => {
    const { ada, bob, cy, dee, reader, at } = await populatedOrg();
    await makeUser({ name: "Aaron Elsewhere" }); // another organization
    const body = await list(reader.cookie);
    expect(body.page).toEqual({ number: 1, size: 25, total: 5 });
    expect(body.items.map((u) => u.id)).toEqual([dee.id, ada.id, bob.id, cy.id, reader.user.id]);
    expect(body.items[1]).toMatchObject({ email: ada.email, role: "partner_manager", status: "active", purchaser: true, analyticsAccess: "Y", analyticsAdmin: true, lastLoginAt: new Date(at).toISOString() });
    expect(body.items[2]).toMatchObject({ purchaser: false, analyticsAccess: "I", analyticsAdmin: false, lastLoginAt: null });
    // Nothing secret in the answer.
    expect(JSON.stringify(body)).not.toMatch(/passwordHash|totpSecret|password_hash/);
  });

  it("searches name and email (case-insensitive, wildcards taken literally) and filters by role and status", async () => {
    const { ada, bob, cy, reader } = await populatedOrg();
    expect((await list(reader.cookie, "?q=LOVELACE")).items.map((u) => u.id)).toEqual([ada.id]);
    expect((await list(reader.cookie, `?q=${encodeURIComponent(bob.email.split("@")[0]!.toUpperCase())}`)).items.map((u) => u.id)).toEqual([bob.id]);
    expect((await list(reader.cookie, "?q=%25")).items).toHaveLength(0);
    expect((await list(reader.cookie, "?q=_")).items).toHaveLength(0);
    expect((await list(reader.cookie, "?role=regular")).items.map((u) => u.id)).toEqual([bob.id, cy.id]);
    expect((await list(reader.cookie, "?role=regular&status=active")).items.map((u) => u.id)).toEqual([bob.id]);
    expect((await list(reader.cookie, "?status=deactivated")).items.map((u) => u.id)).toEqual([cy.id]);
    // An empty select ("any") is no filter.
    expect((await list(reader.cookie, "?role=&status=&q=")).page.total).toBe(5);
  });

  it("pages through the list", async () => {
    const { ada, bob, cy, reader } = await populatedOrg();
    const first = await list(reader.cookie, "?pageSize=2&page=2");
    expect(first.page).toEqual({ number: 2, size: 2, total: 5 });
    expect(first.items.map((u) => u.id)).toEqual([bob.id, cy.id]);
    expect((await list(reader.cookie, "?pageSize=2&page=1")).items[1]!.id).toBe(ada.id);
    expect((await list(reader.cookie, "?pageSize=2&page=9")).items).toEqual([]);
  });

  it("answers 422 for a filter it does not know", async () => {
    const { reader } = await populatedOrg();
    for (const q of ["?role=boss", "?status=gone", "?pageSize=1000", "?page=0", "?format=xml"]) {
      await expectError(await api(`/api/v1/users${q}`, { cookie: reader.cookie }), 422, "validation_failed");
    }
  });

  it("exports the same filter as CSV: header, one row per user, formulas neutralized", async () => {
    const { ada, bob, dee, reader, at } = await populatedOrg();
    const res = await api("/api/v1/users?format=csv&status=active", { cookie: reader.cookie });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(res.headers.get("content-disposition")).toMatch(/attachment; filename="users\.csv"/);
    const rows = csvParseRows(await res.text());
    expect(rows[0]).toEqual(["email", "name", "role", "status", "last_login_at", "purchaser", "analytics_access", "analytics_admin"]);
    expect(rows.slice(1)).toEqual([
      [ada.email, "Ada Lovelace", "partner_manager", "active", new Date(at).toISOString(), "Y", "Y", "Y"],
      [bob.email, "Bob Builder", "regular", "active", "", "N", "I", "N"],
      [reader.user.email, "Zed Reader", "read_only", "active", expect.stringMatching(/^\d{4}-/), "N", "N", "N"],
    ]);

    const invited = csvParseRows(await (await api("/api/v1/users?format=csv&status=invited", { cookie: reader.cookie })).text());
    expect(invited).toHaveLength(2);
    expect(invited[1]![0]).toBe(dee.email);
    // OWASP CSV injection: a leading "=" is prefixed so a spreadsheet shows text.
    expect(invited[1]![1]).toBe("'=HYPERLINK(\"http://evil.example\")");
  });

  it("keeps a Partner Manager to their own organization: ?orgId of another is 404", async () => {
    const { reader } = await populatedOrg();
    const other = await makeOrg();
    await makeUser({ orgId: other.id });
    await expectError(await api(`/api/v1/users?orgId=${other.id}`, { cookie: reader.cookie }), 404, "not_found");
    await expectError(await api(`/api/v1/users?format=csv&orgId=${other.id}`, { cookie: reader.cookie }), 404, "not_found");
  });

  it("answers 401 without a session", async () => {
    await expectError(await api("/api/v1/users"), 401, "unauthenticated");
    await expectError(await api("/api/v1/users/managers"), 401, "unauthenticated");
  });
});

describe("GET /api/v1/users/managers (F-17)", () => {
  it("shows a Read-only user their organization's Partner Managers and which hold AAA", async () => {
    const org = await makeOrg();
    const alice = await makeUser({ orgId: org.id, name: "Alice Admin", role: "partner_manager", analyticsAdmin: true });
    const bart = await makeUser({ orgId: org.id, name: "Bart Manager", role: "partner_manager" });
    await makeUser({ orgId: org.id, name: "Gone Manager", role: "partner_manager", status: "deactivated" });
    await makeUser({ orgId: org.id, name: "Reg Ular", role: "regular" });
    await makeUser({ role: "partner_manager", analyticsAdmin: true }); // another organization
    const reader = await makeUser({ orgId: org.id, role: "read_only" });

    const res = await api("/api/v1/users/managers", { cookie: await signIn(reader) });
    expect(res.status).toBe(200);
    const { items } = (await res.json()) as { items: { id: string; name: string; email: string; analyticsAdmin: boolean }[] };
    expect(items).toEqual([
      { id: alice.id, name: "Alice Admin", email: alice.email, status: "active", analyticsAdmin: true },
      { id: bart.id, name: "Bart Manager", email: bart.email, status: "active", analyticsAdmin: false },
    ]);
  });
});
