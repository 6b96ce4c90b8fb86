/**
 * Applies the payment migrations: creates the database if missing and applies every pending
 * migration. Reads DB_HOST (localhost), DB_PORT (3306), DB_USER, DB_PASSWORD (empty: no
 * password), DB_NAME (payment_service), DB_SSL_MODE (disabled) like the service itself; prints
 * one line; on failure prints one line and exits 1.
 */
import { parseConfig } from "#shared/config";
import { paymentConfigShape } from "../config.js";
import { migratePaymentDatabase } from "./migrate.js";

const { DB_HOST, DB_PORT, DB_USER, DB_PASSWORD, DB_NAME, DB_SSL_MODE } = paymentConfigShape;

try {
  const env = parseConfig({ DB_HOST, DB_PORT, DB_USER, DB_PASSWORD, DB_NAME, DB_SSL_MODE });
  await migratePaymentDatabase({
    host: env.DB_HOST,
    port: env.DB_PORT,
    user: env.DB_USER,
    password: env.DB_PASSWORD,
    database: env.DB_NAME,
    ssl: env.DB_SSL_MODE === "required",
  });
  console.log(`payment migrations applied to ${env.DB_NAME} on ${env.DB_HOST}:${env.DB_PORT}`);
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`payment migrations failed: ${message.split("\n")[0]}`);
  process.exit(1);
}
