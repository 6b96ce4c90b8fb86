/**
 * Development and CI set-up of the payment database account (see `ensurePaymentDatabaseUser`):
 * connects as DB_ADMIN_USER (root) / DB_ADMIN_PASSWORD (empty) to DB_HOST:DB_PORT
 * (127.0.0.1:3306) and makes sure DB_USER / DB_PASSWORD (shop / shop) exist with every privilege
 * on the payment_service* databases. Idempotent; prints one line; on failure one line and exit 1.
 */
import { z } from "zod";
import { parseConfig, port } from "#shared/config";
import { ensurePaymentDatabaseUser } from "./setup.js";

try {
  const env = parseConfig({
    DB_HOST: z.string().default("127.0.0.1"),
    DB_PORT: port(3306),
    DB_ADMIN_USER: z.string().default("root"),
    DB_ADMIN_PASSWORD: z.string().default(""),
    DB_USER: z.string().default("shop"),
    DB_PASSWORD: z.string().default("shop"),
  });
  await ensurePaymentDatabaseUser({
    host: env.DB_HOST,
    port: env.DB_PORT,
    adminUser: env.DB_ADMIN_USER,
    adminPassword: env.DB_ADMIN_PASSWORD,
    user: env.DB_USER,
    password: env.DB_PASSWORD,
  });
  console.log(`MariaDB account ${env.DB_USER} is ready for the payment databases`);
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`payment database set-up failed: ${message.split("\n")[0]}`);
  process.exit(1);
}
