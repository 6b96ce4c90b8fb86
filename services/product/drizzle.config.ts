import { defineConfig } from "drizzle-kit";
import { localDatabase } from "../../scripts/dev-stores.js";
import { service } from "../registry.js";

/**
 * drizzle-kit config of the product service, run from the repository root:
 * `npx drizzle-kit generate --config services/product/drizzle.config.ts` writes versioned SQL into
 * `services/product/migrations` offline; the service applies them with `migrateProductDatabase`
 * (never `push`). Commands that connect use the development database (`PRODUCT_DB_*` overrides).
 */
export default defineConfig({
  dialect: "postgresql",
  schema: "./services/product/src/db/schema.ts",
  out: "./services/product/migrations",
  dbCredentials: { ...localDatabase(service("product")), ssl: false },
  strict: true,
  verbose: true,
});
