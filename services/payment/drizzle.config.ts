import { defineConfig } from "drizzle-kit";
import { localDatabase } from "../../scripts/dev-stores.js";
import { service } from "../registry.js";

/**
 * drizzle-kit config of the payment service, run from the repository root:
 * `npm run drizzle -- generate --config services/payment/drizzle.config.ts` writes versioned SQL
 * into `services/payment/migrations` offline; the service applies them with
 * `migratePaymentDatabase` (never `push`). Commands that connect use the development database
 * (`PAYMENT_DB_*` overrides).
 */
export default defineConfig({
  dialect: "mysql",
  schema: "./services/payment/src/db/schema.ts",
  out: "./services/payment/migrations",
  dbCredentials: localDatabase(service("payment")),
  strict: true,
  verbose: true,
});
