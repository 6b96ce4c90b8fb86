import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { findMigrationsFolder as findFolder } from "#shared/migrations";
import { migratePostgres } from "#shared/postgres";
import type { ProductDatabaseConfig } from "./connection.js";

/** Where the versioned SQL lives, relative to the repository root. */
const MIGRATIONS = join("services", "product", "migrations");

/**
 * Creates the product database if it is missing, then applies every pending migration from
 * `services/product/migrations`, safely from many processes at once (see `migratePostgres`).
 */
export function migrateProductDatabase(
  config: ProductDatabaseConfig,
  log: (line: string) => void = () => {},
): Promise<void> {
  const folder = findMigrationsFolder();
  return migratePostgres(config, { service: "product", folder, lockKey: 5_050_001n }, log);
}

/** `services/product/migrations`, from this file's folder in the sources or in dist/. */
export function findMigrationsFolder(from: string = dirname(fileURLToPath(import.meta.url))) {
  return findFolder(MIGRATIONS, from);
}
