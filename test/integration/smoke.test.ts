import { SELF } from "cloudflare:test";
import { expect, it } from "vitest";

it("answers the health check", async () => {
  const res = await SELF.fetch("https://portico.test/healthz");
  expect(res.status).toBe(200);
});
