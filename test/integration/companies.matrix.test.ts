// F-11 through HTTP: every company cell of the matrix (export handouts,
// add/edit/terminate company, and add/end for each service kind) for each of
// the three portal roles and an operator. Allowed → 2xx and the change is in
// D1 with its audit row; forbidden → 403 and nothing changed. The expected
// answers are typed out from the seed, not read from PORTAL_PERMISSIONS.
import { describe, expect, it } from "vitest";
import { SERVICE_KINDS, type ServiceKind } from "../../src/domain/company-services";
import { api, auditOf, expectError, uniqueEmail } from "../helpers/fixtures";
import { companiesManagedBy, companyRow, makeCompany, makeService, serviceRow, servicesOf, sharedTeam, TEAM_ROLES, type TeamRole } from "../helpers/companies";

const team = sharedTeam();
const Y = true;
const N = false;

const MATRIX: Record<string, Record<TeamRole, boolean>> = {
  exportHandouts: { read_only: Y, regular: Y, partner_manager: Y, operator: N },
  manageCompanies: { read_only: N, regular: Y, partner_manager: Y, operator: N },
  manageEulUsers: { read_only: N, regular: Y, partner_manager: Y, operator: N },
  manageTeamVmrs: { read_only: N, regular: Y, partner_manager: Y, operator: N },
  manageEndpoints: { read_only: N, regular: Y, partner_manager: Y, operator: N },
  manageDomains: { read_only: N, regular: Y, partner_manager: Y, operator: N },
};

const KIND_CELL: Record<ServiceKind, string> = { eul_user: "manageEulUsers", team_vmr: "manageTeamVmrs", endpoint: "manageEndpoints", domain: "manageDomains" };

const cells = (permission: string) => TEAM_ROLES.map((role) => ({ role, allowed: MATRIX[permission]![role] }));

const addBody = (kind: ServiceKind): Record<string, string> =>
  kind === "eul_user"
    ? { email: uniqueEmail("eul"), name: "Erin User" }
    : kind === "domain"
      ? { domain: `meet-${Math.random().toString(36).slice(2, 10)}.example.com` }
      : { name: `${kind} ${Math.random().toString(36).slice(2, 8)}` };

describe("export handouts (F-32)", () => {
  it.each(cells("exportHandouts"))("$role → allowed: $allowed (JSON and CSV)", async ({ role, allowed }) => {
    const t = await team();
    const company = await makeCompany(t.orgId);
    const service = await makeService(company.id, "team_vmr", { name: "Board room" });
    const json = await api(`/api/v1/companies/${company.id}/handout`, { cookie: t[role].cookie });
    const csv = await api(`/api/v1/companies/${company.id}/handout?format=csv`, { cookie: t[role].cookie });
    if (allowed) {
      expect(json.status).toBe(200);
      const body = (await json.json()) as { services: Record<string, { id: string }[]> };
      expect(body.services.team_vmr!.map((s) => s.id)).toEqual([service.id]);
      expect(csv.status).toBe(200);
      expect(await csv.text()).toContain("Board room");
    } else {
      await expectError(json, 403, "forbidden");
      await expectError(csv, 403, "forbidden");
    }
  });
});

describe("add/edit/terminate company (F-30)", () => {
  it.each(cells("manageCompanies"))("add: $role → allowed: $allowed", async ({ role, allowed }) => {
    const t = await team();
    const name = `Added by ${role} ${uniqueEmail("n")}`;
    const before = (await companiesManagedBy(t.orgId)).length;
    const res = await api("/api/v1/companies", { cookie: t[role].cookie, body: { name } });
    const mine = await companiesManagedBy(t.orgId);
    if (allowed) {
      expect(res.status).toBe(201);
      const { company } = (await res.json()) as { company: { id: string; name: string; status: string } };
      expect(company).toMatchObject({ name, status: "active" });
      expect(await companyRow(company.id)).toMatchObject({ name, kind: "customer", managedBy: t.orgId, status: "active", channelPartner: false });
      const [audit] = await auditOf(company.id, "company.created");
      expect(audit).toMatchObject({ actorId: t[role].user.id, orgId: t.orgId, targetType: "company" });
    } else {
      await expectError(res, 403, "forbidden");
      expect(mine).toHaveLength(before);
      expect(mine.some((c) => c.name === name)).toBe(false);
    }
  });

  it.each(cells("manageCompanies"))("edit: $role → allowed: $allowed", async ({ role, allowed }) => {
    const t = await team();
    const company = await makeCompany(t.orgId, { name: "Before Ltd" });
    const name = `Renamed ${uniqueEmail("r")}`;
    const res = await api(`/api/v1/companies/${company.id}`, { method: "PATCH", cookie: t[role].cookie, body: { name } });
    if (allowed) {
      expect(res.status).toBe(200);
      expect(((await res.json()) as { company: { name: string } }).company.name).toBe(name);
      expect((await companyRow(company.id))!.name).toBe(name);
      const [audit] = await auditOf(company.id, "company.updated");
      expect(JSON.parse(audit!.before!)).toEqual({ name: "Before Ltd" });
      expect(JSON.parse(audit!.after!)).toEqual({ name });
    } else {
      await expectError(res, 403, "forbidden");
      expect((await companyRow(company.id))!.name).toBe("Before Ltd");
      expect(await auditOf(company.id)).toHaveLength(0);
    }
  });

  it.each(cells("manageCompanies"))("terminate: $role → allowed: $allowed", async ({ role, allowed }) => {
    const t = await team();
    const company = await makeCompany(t.orgId);
    const res = await api(`/api/v1/companies/${company.id}/terminate`, { method: "POST", cookie: t[role].cookie });
    if (allowed) {
      expect(res.status).toBe(200);
      expect(((await res.json()) as { company: { status: string } }).company.status).toBe("terminated");
      expect((await companyRow(company.id))!.status).toBe("terminated");
      expect(await auditOf(company.id, "company.terminated")).toHaveLength(1);
    } else {
      await expectError(res, 403, "forbidden");
      expect((await companyRow(company.id))!.status).toBe("active");
      expect(await auditOf(company.id)).toHaveLength(0);
    }
  });
});

describe.each(Object.keys(SERVICE_KINDS) as ServiceKind[])("%s (F-31)", (kind) => {
  const { path, endVerb } = SERVICE_KINDS[kind];

  it.each(cells(KIND_CELL[kind]))(`add: $role → allowed: $allowed`, async ({ role, allowed }) => {
    const t = await team();
    const company = await makeCompany(t.orgId);
    const body = addBody(kind);
    const res = await api(`/api/v1/companies/${company.id}/${path}`, { cookie: t[role].cookie, body });
    const rows = await servicesOf(company.id);
    if (allowed) {
      expect(res.status).toBe(201);
      const { item } = (await res.json()) as { item: { id: string; kind: string; name: string; email: string | null; status: string } };
      expect(item).toMatchObject({ kind, status: "active", name: body.domain ?? body.name, email: body.email ?? null });
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ id: item.id, kind, status: "active", name: body.domain ?? body.name, email: body.email ?? null });
      const [audit] = await auditOf(item.id, "company_service.added");
      expect(audit).toMatchObject({ actorId: t[role].user.id, orgId: t.orgId });
      expect(JSON.parse(audit!.after!)).toMatchObject({ companyId: company.id, kind });
    } else {
      await expectError(res, 403, "forbidden");
      expect(rows).toHaveLength(0);
    }
  });

  it.each(cells(KIND_CELL[kind]))(`${endVerb}: $role → allowed: $allowed`, async ({ role, allowed }) => {
    const t = await team();
    const company = await makeCompany(t.orgId);
    const service = await makeService(company.id, kind);
    const res = await api(`/api/v1/companies/${company.id}/${path}/${service.id}/${endVerb}`, { method: "POST", cookie: t[role].cookie });
    const row = await serviceRow(service.id);
    if (allowed) {
      expect(res.status).toBe(200);
      const { item } = (await res.json()) as { item: { id: string; status: string; endedAt: string | null } };
      expect(item).toMatchObject({ id: service.id, status: "ended" });
      expect(item.endedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(row).toMatchObject({ status: "ended" });
      expect(row!.endedAt).toBeGreaterThan(0);
      expect(await auditOf(service.id, "company_service.ended")).toHaveLength(1);
    } else {
      await expectError(res, 403, "forbidden");
      expect(row).toMatchObject({ status: "active", endedAt: null });
      expect(await auditOf(service.id)).toHaveLength(0);
    }
  });
});

describe("viewing (every role of the partner organization; not operators)", () => {
  const VIEW: Record<TeamRole, boolean> = { read_only: Y, regular: Y, partner_manager: Y, operator: N };
  it.each(TEAM_ROLES.map((role) => ({ role, allowed: VIEW[role] })))("$role → allowed: $allowed for list, company, services and plans", async ({ role, allowed }) => {
    const t = await team();
    const company = await makeCompany(t.orgId);
    await makeService(company.id, "endpoint");
    const paths = ["/api/v1/companies", `/api/v1/companies/${company.id}`, `/api/v1/companies/${company.id}/endpoints`, `/api/v1/companies/${company.id}/plans`];
    for (const path of paths) {
      const res = await api(path, { cookie: t[role].cookie });
      if (allowed) expect(res.status, path).toBe(200);
      else await expectError(res, 403, "forbidden");
    }
  });

  it("answers 401 without a session", async () => {
    const t = await team();
    const company = await makeCompany(t.orgId);
    await expectError(await api("/api/v1/companies"), 401, "unauthenticated");
    await expectError(await api(`/api/v1/companies/${company.id}/terminate`, { method: "POST" }), 401, "unauthenticated");
    expect((await companyRow(company.id))!.status).toBe("active");
  });
});
