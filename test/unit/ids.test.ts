import { describe, expect, it } from "vitest";
import { neutralize } from "../../src/lib/csv";
import { newId } from "../../src/lib/ids";

describe("newId", () => {
  it("gives 16-character base64url ids that start with a letter or digit, so a CSV export never quotes one", () => {
    const ids = Array.from({ length: 20_000 }, newId);
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]{15}$/);
      expect(neutralize(id)).toBe(id);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });
});
