import { defineConfig } from "vitest/config";

/**
 * The suite runs against the real stores of the machine (the global set-up starts them). Tests
 * use their own databases so they never touch the data of `npm start`, and each suite passes its
 * store settings explicitly (scripts/dev-stores.ts: `PRODUCT_TEST_DB_NAME`, `TEST_REDIS_DB`, …):
 * nothing here sets the services' own `DB_*`, which differ between PostgreSQL and MariaDB services.
 */
export default defineConfig({
  // `#shared/…`, `#gen/…`, `#services` (package.json "imports") resolve to the TypeScript sources.
  ssr: { resolve: { conditions: ["source"] } },
  // The environment vitest runs the global set-up in.
  environments: { __vitest__: { resolve: { conditions: ["source"] } } },
  test: {
    include: [
      "services/**/*.test.ts",
      "gateway/**/*.test.ts",
      "web/**/*.test.ts",
      "bench/**/*.test.ts",
    ],
    globalSetup: ["scripts/vitest-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: { LOG_LEVEL: "silent" },
  },
});
