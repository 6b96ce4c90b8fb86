import { connectProductDatabase, type ProductSql } from "../../src/db/connection.js";
import { migrateProductDatabase } from "../../src/db/migrate.js";

/** The test database (vitest.config.ts points DB_* at product_service_test). */
export const testDatabaseConfig = {
  host: process.env.DB_HOST ?? "127.0.0.1",
  port: Number(process.env.DB_PORT ?? 5432),
  user: process.env.DB_USER ?? "shop",
  password: process.env.DB_PASSWORD ?? "shop",
  database: process.env.DB_NAME ?? "product_service_test",
};

/** Migrates the test database (creating it if missing) and opens a pool on it. */
export async function openTestDatabase(): Promise<ProductSql> {
  await migrateProductDatabase(testDatabaseConfig);
  return connectProductDatabase(testDatabaseConfig);
}
