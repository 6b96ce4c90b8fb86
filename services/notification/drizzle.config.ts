import { defineConfig } from "drizzle-kit";
import { localDatabase } from "../../scripts/dev-stores.js";
import { service } from "../registry.js";

/**
 * drizzle-kit config of the notification service, run from the repository root:
 * `npx drizzle-kit generate --config services/notification/drizzle.config.ts` writes versioned SQL into
 * `services/notification/migrations` offline; the service applies them with `migrateNotificationDatabase`
 * (never `push`). Commands that connect use the development database (`NOTIFICATION_DB_*` overrides).
 */
export default defineConfig({
  dialect: "postgresql",
  schema: "./services/notification/src/db/schema.ts",
  out: "./services/notification/migrations",
  dbCredentials: { ...localDatabase(service("notification")), ssl: false },
  strict: true,
  verbose: true,
});
