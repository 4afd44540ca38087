// What wrangler.toml configures and the code relies on, read the way wrangler
// reads it: the collect rate limit that domain/analytics-data.ts names in its
// answers (message and Retry-After).
import { unstable_readConfig } from "wrangler";
import { expect, it } from "vitest";
import { COLLECT_LIMIT } from "../../src/domain/analytics-data";

it("the collect rate limiter in wrangler.toml allows what COLLECT_LIMIT says, per a period wrangler accepts", () => {
  const config = unstable_readConfig({ config: "wrangler.toml" });
  const limiter = config.ratelimits.find((r: { name: string }) => r.name === "COLLECT_LIMITER");
  expect(limiter?.simple).toEqual({ limit: COLLECT_LIMIT.hits, period: COLLECT_LIMIT.periodSeconds });
  expect([10, 60]).toContain(COLLECT_LIMIT.periodSeconds);
});
