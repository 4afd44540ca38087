import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { configDefaults, defineConfig } from "vitest/config";

// Two projects, one `npm test`: "workers" runs inside workerd (every test that
// talks to the Worker or its bindings); "node" runs what needs no Worker: the
// pure unit tests of src/domain and src/lib (a workerd isolate per file costs
// seconds of setup each) and checks that need Node itself, such as building
// the deploy bundle with wrangler (test/node/).
/** Unit tests of pure code: no `cloudflare:test`, no bindings (those that need D1 live in test/services/). */
const PURE_UNIT_TESTS = ["test/unit/**/*.test.ts"];

export default defineConfig(async () => {
  const migrations = await readD1Migrations("migrations");
  return {
    test: {
      // Every core: vitest's default leaves one idle, which on a 2-core CI machine halves the speed.
      maxWorkers: "100%",
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
            exclude: [...configDefaults.exclude, "test/node/**", ...PURE_UNIT_TESTS],
          },
        },
        {
          test: {
            name: "node",
            environment: "node",
            include: ["test/node/**/*.test.ts", ...PURE_UNIT_TESTS],
          },
        },
      ],
    },
  };
});
