import { defineConfig } from "drizzle-kit";

// `npm run db:generate` writes flat NNNN_name.sql files that wrangler applies.
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema.ts",
  out: "./migrations",
});
