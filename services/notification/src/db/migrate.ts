import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import type { Sql } from "postgres";
import { findMigrationsFolder as findFolder } from "#shared/migrations";
import { connectNotificationDatabase, type NotificationDatabaseConfig } from "./connection.js";

/** Where the versioned SQL lives, relative to the repository root. */
const MIGRATIONS = join("services", "notification", "migrations");

/** Any 64-bit number shared by every migrating process; pg_advisory_lock serialises them. */
const MIGRATION_LOCK_KEY = 5_053_001n;

/** SQLSTATEs of two concurrent CREATE DATABASE of one name: the loser sees either. */
const DUPLICATE_DATABASE = new Set(["42P04", "23505"]);

/**
 * Creates the notification database if it is missing, then applies every pending migration from
 * `services/notification/migrations`. Safe to call from many processes at once: creation tolerates
 * losing the race and migrations run under an advisory lock, so each migration runs once.
 * `log` receives one line per step worth telling.
 */
export async function migrateNotificationDatabase(
  config: NotificationDatabaseConfig,
  log: (line: string) => void = () => {},
): Promise<void> {
  await ensureDatabase(config, log);
  // One connection, so the session-level lock and the migrator's transaction share it.
  const sql = connectNotificationDatabase({ ...config, maxConnections: 1 });
  try {
    await sql`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    try {
      await migrate(drizzle({ client: sql }), { migrationsFolder: findMigrationsFolder() });
    } finally {
      await sql`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`;
    }
    log(`notification database ${config.database} is up to date`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function ensureDatabase(config: NotificationDatabaseConfig, log: (line: string) => void) {
  const admin = connectNotificationDatabase({ ...config, database: "postgres", maxConnections: 1 });
  try {
    const [found] = await admin`SELECT 1 FROM pg_database WHERE datname = ${config.database}`;
    if (found) return;
    await createDatabase(admin, config.database);
    log(`created database ${config.database}`);
  } finally {
    await admin.end({ timeout: 5 });
  }
}

async function createDatabase(admin: Sql<{ bigint: bigint }>, name: string): Promise<void> {
  try {
    // CREATE DATABASE takes no parameters; sql(name) quotes the identifier.
    await admin`CREATE DATABASE ${admin(name)}`;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" && DUPLICATE_DATABASE.has(code)) return;
    throw error;
  }
}

/** `services/notification/migrations`, from this file's folder in the sources or in dist/. */
export function findMigrationsFolder(from: string = dirname(fileURLToPath(import.meta.url))) {
  return findFolder(MIGRATIONS, from);
}
