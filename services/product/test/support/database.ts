import { localDatabase } from "#scripts/dev-stores";
import { service } from "#services";
import { connectProductDatabase, type ProductSql } from "../../src/db/connection.js";
import { migrateProductDatabase } from "../../src/db/migrate.js";

/**
 * The product tests' database: `product_service_test` with the development login, unless
 * `PRODUCT_TEST_DB_NAME` (or `PRODUCT_TEST_DB_HOST` … `_PASSWORD`) says otherwise, so parallel runs
 * can each use their own. Passed explicitly: no test reads the services' own DB_* variables.
 */
export const testDatabaseConfig = localDatabase(service("product"), "test");

/** Migrates the test database (creating it if missing) and opens a pool on it. */
export async function openTestDatabase(): Promise<ProductSql> {
  await migrateProductDatabase(testDatabaseConfig);
  return connectProductDatabase(testDatabaseConfig);
}
