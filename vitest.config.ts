import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { configDefaults, defineConfig } from "vitest/config";

// Two projects, one `npm test`: "workers" runs inside workerd (every test that
// talks to the Worker); "node" runs the few checks that need Node itself, such
// as building the deploy bundle with wrangler (test/node/).
export default defineConfig(async () => {
  const migrations = await readD1Migrations("migrations");
  return {
    test: {
      projects: [
        {
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  ENVIRONMENT: "test",
                  APP_ORIGIN: "https://portico.test",
                },
              },
            }),
          ],
          test: {
            name: "workers",
            setupFiles: ["./test/helpers/apply-migrations.ts"],
            include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
            exclude: [...configDefaults.exclude, "test/node/**"],
          },
        },
        {
          test: {
            name: "node",
            environment: "node",
            include: ["test/node/**/*.test.ts"],
          },
        },
      ],
    },
  };
});
