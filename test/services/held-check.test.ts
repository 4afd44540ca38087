// The rules of acting on a held session (src/db/held-check.ts), against real
// D1: the check rides with the first batch that only reads; nothing writes,
// and no single statement runs, before D1 has confirmed the hold; a hold D1
// refuses stops the handler at its first read.
import { env } from "cloudflare:test";
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { checkWithFirstRead, HoldNotConfirmed, isHoldNotConfirmed, type HeldCheck } from "../../src/db/held-check";
import { organizations } from "../../src/db/schema";
import { meter } from "../helpers/io-count";
import { makeOrg } from "../helpers/fixtures";

/** A check that asks D1 for one organization's name and stands when it is `expected`. */
function nameCheck(orgId: string, expected: string, d1: D1Database) {
  const verdicts: boolean[] = [];
  const check: HeldCheck = {
    queries: [createDb(d1).select({ name: organizations.name }).from(organizations).where(eq(organizations.id, orgId))],
    confirm: (results) => {
      const [[row]] = results as [{ name: string }[]];
      const stands = row?.name === expected;
      verdicts.push(stands);
      return stands;
    },
  };
  return { check, verdicts };
}

async function setUp(confirmed: boolean) {
  const org = await makeOrg();
  const { bindings, count } = meter();
  const { check, verdicts } = nameCheck(org.id, confirmed ? org.name : "someone else", bindings.DB);
  const hold = checkWithFirstRead(bindings.DB, check);
  const readOrg = () => hold.db.select({ id: organizations.id }).from(organizations).where(eq(organizations.id, org.id));
  return { org, count, verdicts, hold, readOrg };
}

describe("a confirmed hold", () => {
  it("answers the first read-only batch in one round trip, with the check in it, and later reads on their own", async () => {
    const { org, count, verdicts, hold, readOrg } = await setUp(true);
    const [rows] = await hold.db.batch([readOrg()]);
    expect(rows).toEqual([{ id: org.id }]);
    expect(count.d1).toBe(1);
    expect(count.trips).toEqual(["batch of 2"]);
    expect(await hold.db.batch([readOrg()])).toEqual([[{ id: org.id }]]);
    expect(count.trips).toEqual(["batch of 2", "batch of 1"]);
    expect(await hold.confirmed()).toBe(true);
    expect(verdicts).toEqual([true]);
  });

  it("runs the check on its own before a batch that writes, then the write", async () => {
    const { org, count, hold } = await setUp(true);
    await hold.db.batch([hold.db.update(organizations).set({ name: "Renamed" }).where(eq(organizations.id, org.id))]);
    expect(count.trips).toEqual(["batch of 1", "batch of 1"]);
    const [row] = await createDb(env.DB).select({ name: organizations.name }).from(organizations).where(eq(organizations.id, org.id));
    expect(row?.name).toBe("Renamed");
  });

  it("runs the check on its own before a single statement, then the statement", async () => {
    const { org, count, readOrg } = await setUp(true);
    expect(await readOrg()).toEqual([{ id: org.id }]);
    expect(count.d1).toBe(2);
    expect(count.trips[0]).toBe("batch of 1");
  });

  it("is checked once the handler is done when the handler never read", async () => {
    const { count, verdicts, hold } = await setUp(true);
    expect(await hold.confirmed()).toBe(true);
    expect(count.d1).toBe(1);
    expect(verdicts).toEqual([true]);
  });
});

describe("a hold D1 does not confirm", () => {
  it("stops the handler at its first read", async () => {
    const { hold, readOrg, count } = await setUp(false);
    await expect(hold.db.batch([readOrg()])).rejects.toBeInstanceOf(HoldNotConfirmed);
    expect(count.d1).toBe(1);
    expect(await hold.confirmed()).toBe(false);
  });

  it("never writes: a batch that writes is refused before it reaches D1", async () => {
    const { org, hold, count } = await setUp(false);
    const write = hold.db.update(organizations).set({ name: "Hijacked" }).where(eq(organizations.id, org.id));
    await expect(hold.db.batch([write])).rejects.toBeInstanceOf(HoldNotConfirmed);
    expect(count.trips).toEqual(["batch of 1"]);
    const [row] = await createDb(env.DB).select({ name: organizations.name }).from(organizations).where(eq(organizations.id, org.id));
    expect(row?.name).toBe(org.name);
  });

  it("never writes: a single statement that writes is refused, even after the failed read", async () => {
    const { org, hold, readOrg } = await setUp(false);
    await expect(hold.db.batch([readOrg()])).rejects.toBeInstanceOf(HoldNotConfirmed);
    const refused = await hold.db
      .update(organizations)
      .set({ name: "Hijacked" })
      .where(eq(organizations.id, org.id))
      .then(() => null, (e: unknown) => e);
    expect(isHoldNotConfirmed(refused)).toBe(true);
    const [row] = await createDb(env.DB).select({ name: organizations.name }).from(organizations).where(eq(organizations.id, org.id));
    expect(row?.name).toBe(org.name);
  });

  it("counts as not confirmed when the batch it rode in failed", async () => {
    const { hold } = await setUp(true);
    const broken = hold.db.select({ x: sql`no_such_function()` }).from(organizations);
    await expect(hold.db.batch([broken])).rejects.toThrow();
    expect(await hold.confirmed()).toBe(false);
  });
});
