/**
 * The notification service's migration command for deployments (compose.yaml's notification-migrate):
 * creates the database if missing and applies every pending migration. Reads the same DB_*
 * variables as the service itself (config.ts); prints one line; on failure prints one line and
 * exits 1. On a development machine `npm run migrate` does this for every service.
 */
import { parseConfig } from "#shared/config";
import { toDatabaseSettings } from "#shared/database";
import { notificationDatabaseShape } from "../config.js";
import { migrateNotificationDatabase } from "./migrate.js";

try {
  const settings = toDatabaseSettings(parseConfig(notificationDatabaseShape));
  await migrateNotificationDatabase(settings);
  console.log(
    `notification migrations applied to ${settings.database} on ${settings.host}:${settings.port}`,
  );
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`notification migrations failed: ${message.split("\n")[0]}`);
  process.exit(1);
}
