import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { migrate } from "drizzle-orm/mysql2/migrator";
import mysql from "mysql2/promise";
import { findMigrationsFolder as findFolder } from "#shared/migrations";
import {
  mysqlOptions,
  type PaymentDatabaseConfig,
  paymentDb,
  SESSION_SETUP,
} from "./connection.js";

/** Where the versioned SQL lives, relative to the repository root. */
const MIGRATIONS = join("services", "payment", "migrations");

/** The MariaDB named lock every migrating process takes; GET_LOCK serialises them. */
const MIGRATION_LOCK = "payment-service-migrations";
const LOCK_WAIT_SECONDS = 120;

/**
 * Creates the payment database if it is missing (utf8mb4), then applies every pending migration
 * from `services/payment/migrations`. Safe to call from many processes at once: CREATE DATABASE
 * IF NOT EXISTS tolerates the race and migrations run under a named lock, so each runs once.
 * `log` receives one line per step worth telling.
 */
export async function migratePaymentDatabase(
  config: PaymentDatabaseConfig,
  log: (line: string) => void = () => {},
): Promise<void> {
  await ensureDatabase(config);
  const connection = await mysql.createConnection(mysqlOptions(config));
  try {
    await connection.query(SESSION_SETUP);
    // A named lock belongs to the session, so the lock and the migrator share this connection.
    const [rows] = await connection.query("SELECT GET_LOCK(?, ?) AS locked", [
      MIGRATION_LOCK,
      LOCK_WAIT_SECONDS,
    ]);
    if ((rows as { locked: unknown }[])[0]?.locked !== 1) {
      throw new Error(`could not take the lock ${MIGRATION_LOCK} in ${LOCK_WAIT_SECONDS} s`);
    }
    try {
      await migrate(paymentDb(connection), { migrationsFolder: findMigrationsFolder() });
    } finally {
      await connection.query("SELECT RELEASE_LOCK(?)", [MIGRATION_LOCK]);
    }
    log(`payment database ${config.database} is up to date`);
  } finally {
    await connection.end();
  }
}

async function ensureDatabase(config: PaymentDatabaseConfig): Promise<void> {
  const { database: _, ...server } = mysqlOptions(config);
  const connection = await mysql.createConnection(server);
  try {
    await connection.query(
      `CREATE DATABASE IF NOT EXISTS ${connection.escapeId(config.database)}` +
        " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci",
    );
  } finally {
    await connection.end();
  }
}

/** `services/payment/migrations`, from this file's folder in the sources or in dist/. */
export function findMigrationsFolder(from: string = dirname(fileURLToPath(import.meta.url))) {
  return findFolder(MIGRATIONS, from);
}
