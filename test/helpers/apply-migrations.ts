// Runs before every test file: the D1 schema from migrations/, exactly as wrangler applies it.
import { applyD1Migrations, env } from "cloudflare:test";

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
