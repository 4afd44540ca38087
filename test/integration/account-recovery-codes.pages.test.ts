// The account page's "Generate new recovery codes" form: the codes are shown
// once, in the answer to the post, and a reload of that answer (the browser
// sends the same form, with the same TOTP code, again) says what happened.
import { and, eq, isNull } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { recoveryCodes } from "../../src/db/schema";
import { normalizeRecoveryCode } from "../../src/domain/two-factor";
import { sha256Hex } from "../../src/lib/crypto";
import { auditOf, db, freshCode, makeUser, signIn } from "../helpers/fixtures";
import { csrfFrom, formPost } from "../helpers/portal";

const unusedHashes = async (userId: string) =>
  (await db().select({ h: recoveryCodes.codeHash }).from(recoveryCodes).where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)))).map((r) => r.h).sort();

const shownCodes = (html: string) => [...html.matchAll(/<li><code>([^<]+)<\/code><\/li>/g)].map((m) => m[1]!);

describe("new recovery codes on the account page", () => {
  it("shows ten codes once; the same form sent again (a reload) is refused beside the code field, saying the codes shown are the ones that work", async () => {
    const user = await makeUser();
    const cookie = await signIn(user);
    const token = await csrfFrom("/account", cookie);
    const fields = { code: await freshCode(user) };

    const first = await formPost("/account/recovery-codes", fields, { cookie, token });
    expect(first.status).toBe(200);
    const codes = shownCodes(await first.text());
    expect(codes).toHaveLength(10);

    const again = await formPost("/account/recovery-codes", fields, { cookie, token });
    expect(again.status).toBe(422);
    const html = await again.text();
    expect(html).toMatch(/id="f-code-error" role="alert">That code was just used\. If it made new recovery codes a moment ago \(reloading the page sends the form again\), those codes replaced the earlier ones\./);
    expect(shownCodes(html)).toHaveLength(0);
    // Nothing changed the second time: the codes shown first are the ones that work.
    expect(await unusedHashes(user.id)).toEqual((await Promise.all(codes.map((c) => sha256Hex(normalizeRecoveryCode(c))))).sort());
    expect(await auditOf(user.id, "user.recovery_codes_regenerated")).toHaveLength(1);
  });

  it("answers a wrong code with the plain refusal, and keeps the codes the account had", async () => {
    const user = await makeUser();
    const cookie = await signIn(user);
    await db().insert(recoveryCodes).values(["a", "b"].map((codeHash) => ({ userId: user.id, codeHash, createdAt: Date.now() })));
    const before = await unusedHashes(user.id);
    expect(before).toHaveLength(2);
    const res = await formPost("/account/recovery-codes", { code: "000000" }, { cookie, token: await csrfFrom("/account", cookie) });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain("That code is not valid or was already used.");
    expect(html).not.toContain("That code was just used");
    expect(await unusedHashes(user.id)).toEqual(before);
  });
});
