// F-92: what each CSV row of a bulk invite means, decided without a database.
import { describe, expect, it } from "vitest";
import { checkBulkRows } from "../../src/domain/bulk-invite";
import { parsePortalRole } from "../../src/domain/roles";
import { parseCsvRecords } from "../../src/lib/csv";

const check = (text: string) => checkBulkRows(parseCsvRecords(text)).map(({ roleKey: _k, ...row }) => row);

describe("parsePortalRole", () => {
  it.each([
    ["read_only", "read_only"],
    ["Read-only User", "read_only"],
    ["read only", "read_only"],
    ["READ-ONLY", "read_only"],
    ["regular", "regular"],
    ["Regular User", "regular"],
    ["partner_manager", "partner_manager"],
    ["Partner Manager", "partner_manager"],
    [" partner-manager ", "partner_manager"],
    ["operator", null],
    ["Operator", null],
    ["manager", null],
    ["", null],
    ["user", null],
  ])("%j → %j", (text, role) => expect(parsePortalRole(text)).toBe(role));
});

describe("checkBulkRows", () => {
  it("reads rows without a header as email, name, role, with file line numbers (blank lines counted)", () => {
    expect(check("a@example.com,Ann,regular\n\n B@Example.com , Bob ,Partner Manager\n")).toEqual([
      { line: 1, email: "a@example.com", name: "Ann", role: "regular", outcome: "invite" },
      { line: 3, email: "b@example.com", name: "Bob", role: "partner_manager", outcome: "invite" },
    ]);
  });

  it("uses a header row for the column order and ignores extra columns", () => {
    expect(check('Name,Role,Phone,Email\n"Doe, Jane",read_only,555,jane@example.com')).toEqual([
      { line: 2, email: "jane@example.com", name: "Doe, Jane", role: "read_only", outcome: "invite" },
    ]);
  });

  it("gives each invalid row its reason", () => {
    const rows = check(["email,name,role", ",No Mail,regular", "x@,Bad,regular", "c@example.com,,regular", "d@example.com,Dee,", "e@example.com,Eve,owner", "f@example.com," + "n".repeat(121) + ",regular"].join("\n"));
    expect(rows.map((r) => [r.line, r.outcome, r.reason])).toEqual([
      [2, "invalid", "The email address is missing."],
      [3, "invalid", '"x@" is not a valid email address.'],
      [4, "invalid", "The name is missing."],
      [5, "invalid", "The role is missing: use Read-only User, Regular User, Partner Manager."],
      [6, "invalid", '"owner" is not a portal role: use Read-only User, Regular User, Partner Manager.'],
      [7, "invalid", "The name is longer than 120 characters."],
    ]);
  });

  it("reports an address that appears twice (any case) on its second line, naming the first", () => {
    const rows = check("a@example.com,A,regular\nb@example.com,B,regular\nA@EXAMPLE.COM,A2,read_only");
    expect(rows.map((r) => r.outcome)).toEqual(["invite", "invite", "invalid"]);
    expect(rows[2]!.reason).toBe("The same address is already on line 1.");
  });

  it("does not let an invalid row claim an address (a later valid row with it is invited)", () => {
    const rows = check("a@example.com,,regular\na@example.com,Ann,regular");
    expect(rows.map((r) => r.outcome)).toEqual(["invalid", "invite"]);
  });

  it("returns nothing for an empty file or a header alone", () => {
    expect(check("")).toEqual([]);
    expect(check("email,name,role\n")).toEqual([]);
  });
});
