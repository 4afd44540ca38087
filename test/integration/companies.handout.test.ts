// F-32 handouts: the JSON of a company's active services grouped by kind, the
// same as CSV (exact content, quoting, formula neutralizing, headers), and the
// printable page. (Static assets are not served inside the test runtime, so the
// @media print rules themselves are not asserted here.)
import { SELF } from "cloudflare:test";
import { csvParseRows } from "d3-dsv";
import { describe, expect, it } from "vitest";
import { api, ORIGIN } from "../helpers/fixtures";
import { makeCompany, makeService, sharedTeam } from "../helpers/companies";

const team = sharedTeam();

async function companyWithServices() {
  const t = await team();
  const company = await makeCompany(t.orgId, { name: "Handout, Inc." });
  const at = Date.UTC(2026, 0, 15, 9, 30);
  const s = {
    eulB: await makeService(company.id, "eul_user", { name: "Bea Example", email: "bea@example.com", createdAt: at }),
    eulA: await makeService(company.id, "eul_user", { name: "=SUM(A1:A9)", email: "al@example.com", createdAt: at }),
    ended: await makeService(company.id, "eul_user", { name: "Gone Person", email: "gone@example.com", status: "ended", endedAt: at, createdAt: at }),
    vmr: await makeService(company.id, "team_vmr", { name: 'Board room, "north"', createdAt: at }),
    domain: await makeService(company.id, "domain", { name: "video.handout.example", createdAt: at }),
  };
  return { t, company, s, since: new Date(at).toISOString() };
}

describe("handout JSON", () => {
  it("holds the active services grouped by kind, never an ended one", async () => {
    const { t, company, s, since } = await companyWithServices();
    const res = await api(`/api/v1/companies/${company.id}/handout`, { cookie: t.read_only.cookie });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { company: { id: string; name: string }; generatedAt: string; services: Record<string, unknown[]> };
    expect(body.company).toEqual({ id: company.id, name: "Handout, Inc.", status: "active" });
    expect(body.generatedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(body.services).toEqual({
      eul_user: [
        { id: s.eulA.id, name: "=SUM(A1:A9)", email: "al@example.com", since },
        { id: s.eulB.id, name: "Bea Example", email: "bea@example.com", since },
      ],
      team_vmr: [{ id: s.vmr.id, name: 'Board room, "north"', email: null, since }],
      endpoint: [],
      domain: [{ id: s.domain.id, name: "video.handout.example", email: null, since }],
    });
  });

  it("refuses an unknown format with 422", async () => {
    const { t, company } = await companyWithServices();
    const res = await api(`/api/v1/companies/${company.id}/handout?format=xml`, { cookie: t.regular.cookie });
    expect(res.status).toBe(422);
  });
});

describe("handout CSV", () => {
  it("has the header kind,name,email,status,since and one row per active service, quoted and neutralized", async () => {
    const { t, company, since } = await companyWithServices();
    const res = await api(`/api/v1/companies/${company.id}/handout?format=csv`, { cookie: t.read_only.cookie });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="handout-Handout__Inc.-\d{4}-\d\d-\d\d\.csv"$/);
    const text = await res.text();
    expect(text.endsWith("\r\n")).toBe(true);
    expect(text.split(/\r?\n/)[3]).toBe(`Team VMR,"Board room, ""north""",,active,${since}`);
    expect(csvParseRows(text.trimEnd())).toEqual([
      ["kind", "name", "email", "status", "since"],
      ["EUL user", "'=SUM(A1:A9)", "al@example.com", "active", since],
      ["EUL user", "Bea Example", "bea@example.com", "active", since],
      ["Team VMR", 'Board room, "north"', "", "active", since],
      ["Domain hosting", "video.handout.example", "", "active", since],
    ]);
    expect(text).not.toContain("Gone Person");
  });

  it("is the same from the page route", async () => {
    const { t, company } = await companyWithServices();
    const [fromApi, fromPage] = await Promise.all([
      api(`/api/v1/companies/${company.id}/handout?format=csv`, { cookie: t.regular.cookie }).then((r) => r.text()),
      SELF.fetch(`${ORIGIN}/companies/${company.id}/handout?format=csv`, { headers: { cookie: t.regular.cookie } }).then((r) => r.text()),
    ]);
    expect(fromPage).toBe(fromApi);
  });
});

describe("printable handout page", () => {
  it("lists the active services with a CSV link and a print button, for a Read-only user", async () => {
    const { t, company } = await companyWithServices();
    const res = await SELF.fetch(`${ORIGIN}/companies/${company.id}/handout`, { headers: { cookie: t.read_only.cookie } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("Services of Handout, Inc.");
    for (const text of ["Bea Example", "bea@example.com", "Board room, &quot;north&quot;", "video.handout.example"]) expect(html).toContain(text);
    expect(html).not.toContain("Gone Person");
    expect(html).toContain(`href="/companies/${company.id}/handout?format=csv"`);
    expect(html).toContain("data-print");
    // The links and the button sit in a block the print stylesheet (public/css/app.css, @media print) hides.
    expect(html).toMatch(/<p class="no-print">[\s\S]*data-print[\s\S]*<\/p>/);
    expect(html).toMatch(/<link rel="stylesheet" href="\/build\/app\.[0-9a-f]{12}\.css"\/>/);
  });

  it("is refused to an operator (403)", async () => {
    const { t, company } = await companyWithServices();
    const res = await SELF.fetch(`${ORIGIN}/companies/${company.id}/handout`, { headers: { cookie: t.operator.cookie } });
    expect(res.status).toBe(403);
  });
});
