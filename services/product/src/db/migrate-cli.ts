/**
 * `npm run migrate` for the product service: creates the database if missing and applies every
 * pending migration. Reads DB_HOST (localhost), DB_PORT (5432), DB_USER, DB_PASSWORD (empty: no
 * password), DB_NAME (product_service) like the service itself; prints one line; on failure
 * prints one line and exits 1.
 */
import { z } from "zod";
import { parseConfig, port } from "#shared/config";
import { migrateProductDatabase } from "./migrate.js";

const databaseShape = {
  DB_HOST: z.string().default("localhost"),
  DB_PORT: port(5432),
  DB_USER: z.string(),
  DB_PASSWORD: z.string().default(""),
  DB_NAME: z.string().default("product_service"),
};

try {
  const env = parseConfig(databaseShape);
  await migrateProductDatabase({
    host: env.DB_HOST,
    port: env.DB_PORT,
    user: env.DB_USER,
    password: env.DB_PASSWORD,
    database: env.DB_NAME,
  });
  console.log(`product migrations applied to ${env.DB_NAME} on ${env.DB_HOST}:${env.DB_PORT}`);
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`product migrations failed: ${message.split("\n")[0]}`);
  process.exit(1);
}
