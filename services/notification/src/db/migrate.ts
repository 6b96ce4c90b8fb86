import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { findMigrationsFolder as findFolder } from "#shared/migrations";
import { migratePostgres } from "#shared/postgres";
import type { NotificationDatabaseConfig } from "./connection.js";

/** Where the versioned SQL lives, relative to the repository root. */
const MIGRATIONS = join("services", "notification", "migrations");

/**
 * Creates the notification database if it is missing, then applies every pending migration from
 * `services/notification/migrations`, safely from many processes at once (see `migratePostgres`).
 */
export function migrateNotificationDatabase(
  config: NotificationDatabaseConfig,
  log: (line: string) => void = () => {},
): Promise<void> {
  const folder = findMigrationsFolder();
  return migratePostgres(config, { service: "notification", folder, lockKey: 5_053_001n }, log);
}

/** `services/notification/migrations`, from this file's folder in the sources or in dist/. */
export function findMigrationsFolder(from: string = dirname(fileURLToPath(import.meta.url))) {
  return findFolder(MIGRATIONS, from);
}
