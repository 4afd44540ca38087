// F-01 → F-05 end to end through the JSON API: the "Done when" path of the foundation.
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { totpCodeAt } from "../../src/domain/two-factor";
import { api, cookieFrom, linkIn, mailTo, ORIGIN, PASSWORD } from "../helpers/fixtures";

describe("first run through the API", () => {
  it("sets up the portal, onboards a partner whose manager activates, enrolls 2FA and signs in", async () => {
    // On an empty database the start page leads to setup.
    const start = await SELF.fetch(`${ORIGIN}/`, { redirect: "manual" });
    expect(start.status).toBe(303);
    expect(start.headers.get("location")).toBe("/setup");

    const setup = await api("/api/v1/setup", { body: { orgName: "Vendor", email: " Op@Example.com ", name: "Olga Operator", password: PASSWORD } });
    expect(setup.status).toBe(201);
    const { user: operator } = (await setup.json()) as { user: { email: string; role: string; status: string } };
    expect(operator).toMatchObject({ email: "op@example.com", role: "operator", status: "pending_2fa" });

    // Once an account exists, setup is gone.
    expect((await api("/api/v1/setup", { body: { orgName: "X", email: "x@example.com", name: "X", password: PASSWORD } })).status).toBe(404);
    expect((await SELF.fetch(`${ORIGIN}/setup`)).status).toBe(404);

    // First login: enrollment.
    const login = await api("/api/v1/auth/login", { body: { email: "op@example.com", password: PASSWORD } });
    expect(login.status).toBe(200);
    const enroll = (await login.json()) as { next: string; challenge: string; totp: { secret: string; uri: string } };
    expect(enroll.next).toBe("totp_enroll");
    expect(enroll.totp.uri).toMatch(/^otpauth:\/\/totp\/.*secret=/);
    const totp = await api("/api/v1/auth/totp", { body: { challenge: enroll.challenge, code: totpCodeAt(enroll.totp.secret, Date.now()) } });
    expect(totp.status).toBe(200);
    const enrolled = (await totp.json()) as { user: { status: string }; recoveryCodes: string[] };
    expect(enrolled.user.status).toBe("active");
    expect(enrolled.recoveryCodes).toHaveLength(10);
    const cookie = cookieFrom(totp, "__Host-session")!;

    const me = await api("/api/v1/me", { cookie });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { user: { role: string } }).user.role).toBe("operator");

    // Onboard a partner with its first Partner Manager.
    const onboard = await api("/api/v1/orgs", {
      cookie,
      body: { name: "Acme Resellers", kind: "partner", channelPartner: true, manager: { email: "pm@acme.example", name: "Pat Manager" } },
    });
    expect(onboard.status).toBe(201);
    const created = (await onboard.json()) as { org: { id: string; channelPartner: boolean }; user: { status: string; role: string } };
    expect(created.org.channelPartner).toBe(true);
    expect(created.user).toMatchObject({ status: "invited", role: "partner_manager" });

    const [invitation] = await mailTo("pm@acme.example");
    expect(invitation!.subject).toMatch(/invited/i);
    const link = linkIn(invitation!, "/activate");
    expect(link.origin).toBe(ORIGIN);
    const token = link.searchParams.get("token")!;

    const accept = await api("/api/v1/invitations/accept", { body: { token, password: PASSWORD, acceptPrivacyPolicy: true } });
    expect(accept.status).toBe(200);

    const pmLogin = await api("/api/v1/auth/login", { body: { email: "PM@acme.example", password: PASSWORD } });
    const pmEnroll = (await pmLogin.json()) as { next: string; challenge: string; totp: { secret: string } };
    expect(pmEnroll.next).toBe("totp_enroll");
    const pmTotp = await api("/api/v1/auth/totp", { body: { challenge: pmEnroll.challenge, code: totpCodeAt(pmEnroll.totp.secret, Date.now()) } });
    expect(pmTotp.status).toBe(200);
    const pmMe = await api("/api/v1/me", { cookie: cookieFrom(pmTotp, "__Host-session") });
    expect(((await pmMe.json()) as { user: { role: string; status: string } }).user).toMatchObject({ role: "partner_manager", status: "active" });
  });
});
