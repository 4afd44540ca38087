// F-30/F-31 through the JSON API: listing with search, filter, paging and
// service counts; validation that answers 422 with fields (never 500);
// uniqueness of active names per organization, company and kind; terminated
// companies refuse changes (409) but keep their services listed; compare-and-
// swap under concurrent requests.
import { describe, expect, it } from "vitest";
import { api, auditOf, expectError, makeOrg, uniqueEmail } from "../helpers/fixtures";
import { companiesManagedBy, companyRow, expectFields, makeCompany, makeService, serviceRow, servicesOf, sharedTeam } from "../helpers/companies";

const team = sharedTeam();
const regular = async () => (await team()).regular.cookie;

interface ListBody {
  items: { id: string; name: string; status: string; activeServices: Record<string, number>; activeServicesTotal: number }[];
  page: { number: number; size: number; total: number };
}

/** A fresh partner organization with its own Regular user, so list totals are exact. */
async function freshPartner() {
  const { makeUser, signIn } = await import("../helpers/fixtures");
  const org = await makeOrg({ kind: "partner" });
  return { org, cookie: await signIn(await makeUser({ orgId: org.id, role: "regular" })) };
}

describe("listing (F-30)", () => {
  it("lists the organization's companies, active first then by name, with active service counts per kind", async () => {
    const { org, cookie } = await freshPartner();
    const beta = await makeCompany(org.id, { name: "beta Co" });
    const alpha = await makeCompany(org.id, { name: "Alpha Co" });
    const gone = await makeCompany(org.id, { name: "Aardvark Co", status: "terminated" });
    await makeService(alpha.id, "eul_user");
    await makeService(alpha.id, "eul_user");
    await makeService(alpha.id, "eul_user", { status: "ended", endedAt: Date.now() });
    await makeService(alpha.id, "domain");
    await makeService(beta.id, "team_vmr");

    const res = await api("/api/v1/companies", { cookie });
    expect(res.status).toBe(200);
    const body = (await res.json()) as ListBody;
    expect(body.items.map((c) => c.id)).toEqual([alpha.id, beta.id, gone.id]);
    expect(body.page).toEqual({ number: 1, size: 25, total: 3 });
    expect(body.items[0]).toMatchObject({ name: "Alpha Co", status: "active", activeServices: { eul_user: 2, team_vmr: 0, endpoint: 0, domain: 1 }, activeServicesTotal: 3 });
    expect(body.items[1]!.activeServices).toEqual({ eul_user: 0, team_vmr: 1, endpoint: 0, domain: 0 });
    expect(body.items[2]).toMatchObject({ status: "terminated", activeServicesTotal: 0 });
  });

  it("searches by name literally (a typed % is no wildcard), filters by status and pages", async () => {
    const { org, cookie } = await freshPartner();
    await makeCompany(org.id, { name: "100% Video" });
    await makeCompany(org.id, { name: "1000 Video" });
    await makeCompany(org.id, { name: "Other", status: "terminated" });
    const search = (await (await api(`/api/v1/companies?q=${encodeURIComponent("100%")}`, { cookie })).json()) as ListBody;
    expect(search.items.map((c) => c.name)).toEqual(["100% Video"]);
    const video = (await (await api("/api/v1/companies?q=video", { cookie })).json()) as ListBody;
    expect(video.items).toHaveLength(2);
    const terminated = (await (await api("/api/v1/companies?status=terminated", { cookie })).json()) as ListBody;
    expect(terminated.items.map((c) => c.name)).toEqual(["Other"]);
    const page2 = (await (await api("/api/v1/companies?pageSize=2&page=2", { cookie })).json()) as ListBody;
    expect(page2.items.map((c) => c.name)).toEqual(["Other"]);
    expect(page2.page).toEqual({ number: 2, size: 2, total: 3 });
    await expectFields(await api("/api/v1/companies?pageSize=1000", { cookie }), "pageSize");
    await expectFields(await api("/api/v1/companies?status=gone", { cookie }), "status");
  });
});

describe("company validation", () => {
  it("answers 422 with fields for a missing, blank, too long or non-string name and for unknown fields; creates nothing", async () => {
    const cookie = await regular();
    const t = await team();
    const before = (await companiesManagedBy(t.orgId)).length;
    await expectFields(await api("/api/v1/companies", { cookie, body: {} }), "name");
    await expectFields(await api("/api/v1/companies", { cookie, body: { name: "   " } }), "name");
    await expectFields(await api("/api/v1/companies", { cookie, body: { name: "x".repeat(121) } }), "name");
    await expectFields(await api("/api/v1/companies", { cookie, body: { name: 42 } }), "name");
    await expectFields(await api("/api/v1/companies", { cookie, body: { name: "Fine", managedBy: "someone-else" } }), "managedBy");
    await expectFields(await api("/api/v1/companies", { cookie, body: { name: "Fine", status: "terminated" } }), "status");
    const company = await makeCompany(t.orgId, { name: "Keep Me" });
    await expectFields(await api(`/api/v1/companies/${company.id}`, { method: "PATCH", cookie, body: { name: "" } }), "name");
    await expectFields(await api(`/api/v1/companies/${company.id}`, { method: "PATCH", cookie, body: { name: "New", kind: "partner" } }), "kind");
    expect((await companiesManagedBy(t.orgId)).length).toBe(before + 1);
    expect(await companyRow(company.id)).toMatchObject({ name: "Keep Me", kind: "customer" });
  });

  it("answers 400, not 500, to a body that is not JSON", async () => {
    const res = await api("/api/v1/companies", { cookie: await regular(), body: undefined, method: "POST", headers: {} });
    expect(res.status).toBeLessThan(500);
    const raw = await (await import("cloudflare:test")).SELF.fetch("https://portico.test/api/v1/companies", {
      method: "POST",
      headers: { cookie: await regular(), "content-type": "application/json" },
      body: "{not json",
    });
    expect(raw.status).toBe(400);
  });

  it("refuses a name already used by an active company of the organization (trimmed, any case), but not a terminated one's or another partner's", async () => {
    const { org, cookie } = await freshPartner();
    await makeCompany(org.id, { name: "Acme Video" });
    await makeCompany(org.id, { name: "Old Co", status: "terminated" });
    const other = await makeOrg({ kind: "partner" });
    await makeCompany(other.id, { name: "Their Co" });

    const dup = await expectFields(await api("/api/v1/companies", { cookie, body: { name: "  ACME video " } }), "name");
    expect(dup.name).toMatch(/already/);
    expect((await api("/api/v1/companies", { cookie, body: { name: "Old Co" } })).status).toBe(201);
    expect((await api("/api/v1/companies", { cookie, body: { name: "Their Co" } })).status).toBe(201);
    expect((await companiesManagedBy(org.id)).map((c) => c.name).sort()).toEqual(["Acme Video", "Old Co", "Old Co", "Their Co"]);
  });

  it("refuses renaming onto another active company's name, allows keeping or recasing its own", async () => {
    const { org, cookie } = await freshPartner();
    await makeCompany(org.id, { name: "Taken" });
    const mine = await makeCompany(org.id, { name: "Mine" });
    await expectFields(await api(`/api/v1/companies/${mine.id}`, { method: "PATCH", cookie, body: { name: "taken" } }), "name");
    expect((await companyRow(mine.id))!.name).toBe("Mine");
    const res = await api(`/api/v1/companies/${mine.id}`, { method: "PATCH", cookie, body: { name: "MINE" } });
    expect(res.status).toBe(200);
    expect((await companyRow(mine.id))!.name).toBe("MINE");
  });

  it("adds exactly one of two concurrent companies with the same name; the other gets 422", async () => {
    const { org, cookie } = await freshPartner();
    const name = `Race ${uniqueEmail("r")}`;
    const results = await Promise.all([1, 2, 3].map(() => api("/api/v1/companies", { cookie, body: { name } })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 422, 422]);
    expect((await companiesManagedBy(org.id)).filter((c) => c.name === name)).toHaveLength(1);
  });
});

describe("termination (F-30)", () => {
  it("terminates once (409 the second time), keeps the services listed, and refuses every later change with 409", async () => {
    const t = await team();
    const cookie = t.regular.cookie;
    const company = await makeCompany(t.orgId);
    const eul = await makeService(company.id, "eul_user");
    const vmr = await makeService(company.id, "team_vmr");
    expect((await api(`/api/v1/companies/${company.id}/terminate`, { method: "POST", cookie })).status).toBe(200);
    await expectError(await api(`/api/v1/companies/${company.id}/terminate`, { method: "POST", cookie }), 409, "conflict");
    expect(await auditOf(company.id, "company.terminated")).toHaveLength(1);

    await expectError(await api(`/api/v1/companies/${company.id}`, { method: "PATCH", cookie, body: { name: "Revived" } }), 409, "conflict");
    await expectError(await api(`/api/v1/companies/${company.id}/eul-users`, { cookie, body: { email: uniqueEmail("e"), name: "E" } }), 409, "conflict");
    await expectError(await api(`/api/v1/companies/${company.id}/domains`, { cookie, body: { domain: "late.example.com" } }), 409, "conflict");
    await expectError(await api(`/api/v1/companies/${company.id}/eul-users/${eul.id}/disable`, { method: "POST", cookie }), 409, "conflict");
    await expectError(await api(`/api/v1/companies/${company.id}/team-vmrs/${vmr.id}/deactivate`, { method: "POST", cookie }), 409, "conflict");

    const detail = (await (await api(`/api/v1/companies/${company.id}`, { cookie })).json()) as { company: { status: string }; services: Record<string, { id: string; status: string }[]> };
    expect(detail.company.status).toBe("terminated");
    expect(detail.services.eul_user!.map((s) => [s.id, s.status])).toEqual([[eul.id, "active"]]);
    expect(detail.services.team_vmr!.map((s) => [s.id, s.status])).toEqual([[vmr.id, "active"]]);
    expect(await servicesOf(company.id)).toHaveLength(2);
    expect((await companyRow(company.id))!.name).toBe(company.name);
  });

  it("lets only one of two concurrent terminations through", async () => {
    const t = await team();
    const company = await makeCompany(t.orgId);
    const results = await Promise.all([t.regular.cookie, t.partner_manager.cookie].map((cookie) => api(`/api/v1/companies/${company.id}/terminate`, { method: "POST", cookie })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(await auditOf(company.id, "company.terminated")).toHaveLength(1);
  });
});

describe("service validation (F-31)", () => {
  const BAD_DOMAINS = ["not a domain", "localhost", "-bad.example.com", "bad-.example.com", "a..b.com", "http://video.example.com", "video.example.com/", "x@example.com", "example.123", `${"a".repeat(64)}.example.com`, ""];

  it.each(BAD_DOMAINS)("refuses the domain %j with 422 fields.domain", async (domain) => {
    const t = await team();
    const company = await makeCompany(t.orgId);
    await expectFields(await api(`/api/v1/companies/${company.id}/domains`, { cookie: t.regular.cookie, body: { domain } }), "domain");
    expect(await servicesOf(company.id)).toHaveLength(0);
  });

  it("stores a domain trimmed and lower-cased, refuses it twice in any case, and accepts it again once terminated", async () => {
    const t = await team();
    const cookie = t.regular.cookie;
    const company = await makeCompany(t.orgId);
    const first = await api(`/api/v1/companies/${company.id}/domains`, { cookie, body: { domain: "  Video.Example.COM " } });
    expect(first.status).toBe(201);
    const { item } = (await first.json()) as { item: { id: string; name: string } };
    expect(item.name).toBe("video.example.com");
    const dup = await expectFields(await api(`/api/v1/companies/${company.id}/domains`, { cookie, body: { domain: "VIDEO.example.com" } }), "domain");
    expect(dup.domain).toMatch(/already/);
    expect((await api(`/api/v1/companies/${company.id}/domains/${item.id}/terminate`, { method: "POST", cookie })).status).toBe(200);
    expect((await api(`/api/v1/companies/${company.id}/domains`, { cookie, body: { domain: "video.example.com" } })).status).toBe(201);
    const rows = await servicesOf(company.id);
    expect(rows.map((r) => r.status).sort()).toEqual(["active", "ended"]);
  });

  it("refuses an EUL user without a valid email, or with an email already active in the company (any case)", async () => {
    const t = await team();
    const cookie = t.regular.cookie;
    const company = await makeCompany(t.orgId);
    const other = await makeCompany(t.orgId);
    await expectFields(await api(`/api/v1/companies/${company.id}/eul-users`, { cookie, body: { email: "nope", name: "N" } }), "email");
    await expectFields(await api(`/api/v1/companies/${company.id}/eul-users`, { cookie, body: { email: uniqueEmail("e") } }), "name");
    const email = uniqueEmail("eul");
    expect((await api(`/api/v1/companies/${company.id}/eul-users`, { cookie, body: { email, name: "Erin" } })).status).toBe(201);
    await expectFields(await api(`/api/v1/companies/${company.id}/eul-users`, { cookie, body: { email: email.toUpperCase(), name: "Erin Again" } }), "email");
    // The same person may be an EUL user of another company, and a different person may share a name.
    expect((await api(`/api/v1/companies/${other.id}/eul-users`, { cookie, body: { email, name: "Erin" } })).status).toBe(201);
    expect((await api(`/api/v1/companies/${company.id}/eul-users`, { cookie, body: { email: uniqueEmail("e2"), name: "Erin" } })).status).toBe(201);
    const [row] = (await servicesOf(other.id)).filter((r) => r.kind === "eul_user");
    expect(row!.email).toBe(email.toLowerCase());
  });

  it("refuses a Team VMR or endpoint name already active in the same company and kind, not in another kind", async () => {
    const t = await team();
    const cookie = t.regular.cookie;
    const company = await makeCompany(t.orgId);
    expect((await api(`/api/v1/companies/${company.id}/team-vmrs`, { cookie, body: { name: "Board Room" } })).status).toBe(201);
    await expectFields(await api(`/api/v1/companies/${company.id}/team-vmrs`, { cookie, body: { name: " board room " } }), "name");
    expect((await api(`/api/v1/companies/${company.id}/endpoints`, { cookie, body: { name: "Board Room" } })).status).toBe(201);
    await expectFields(await api(`/api/v1/companies/${company.id}/endpoints`, { cookie, body: { name: "BOARD ROOM" } }), "name");
    await expectFields(await api(`/api/v1/companies/${company.id}/endpoints`, { cookie, body: { name: "" } }), "name");
    expect(await servicesOf(company.id)).toHaveLength(2);
  });

  it("refuses unknown fields and fields of another kind with 422, never 500", async () => {
    const t = await team();
    const cookie = t.regular.cookie;
    const company = await makeCompany(t.orgId);
    const cases: [string, unknown, string][] = [
      ["team-vmrs", { name: "VMR", pin: "1234" }, "pin"],
      ["endpoints", { name: "EP", email: "a@example.com" }, "email"],
      ["domains", { domain: "ok.example.com", name: "x" }, "name"],
      ["domains", { name: "ok.example.com" }, "domain"],
      ["eul-users", { email: uniqueEmail("e"), name: "E", role: "admin" }, "role"],
      ["eul-users", { email: ["a@example.com"], name: "E" }, "email"],
    ];
    for (const [path, body, field] of cases) await expectFields(await api(`/api/v1/companies/${company.id}/${path}`, { cookie, body }), field);
    expect(await servicesOf(company.id)).toHaveLength(0);
  });

  it("ends a service once: a second disable answers 409 and audits nothing more", async () => {
    const t = await team();
    const company = await makeCompany(t.orgId);
    const eul = await makeService(company.id, "eul_user");
    const path = `/api/v1/companies/${company.id}/eul-users/${eul.id}/disable`;
    const results = await Promise.all([api(path, { method: "POST", cookie: t.regular.cookie }), api(path, { method: "POST", cookie: t.partner_manager.cookie })]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    await expectError(await api(path, { method: "POST", cookie: t.regular.cookie }), 409, "conflict");
    expect((await serviceRow(eul.id))!.status).toBe("ended");
    expect(await auditOf(eul.id, "company_service.ended")).toHaveLength(1);
  });

  it("lists the services of one kind, active and ended", async () => {
    const t = await team();
    const company = await makeCompany(t.orgId);
    const a = await makeService(company.id, "endpoint", { name: "A endpoint" });
    const b = await makeService(company.id, "endpoint", { name: "B endpoint", status: "ended", endedAt: Date.now() });
    await makeService(company.id, "domain");
    const res = await api(`/api/v1/companies/${company.id}/endpoints`, { cookie: t.read_only.cookie });
    const { items } = (await res.json()) as { items: { id: string; status: string }[] };
    expect(items.map((i) => [i.id, i.status])).toEqual([
      [a.id, "active"],
      [b.id, "ended"],
    ]);
  });
});
