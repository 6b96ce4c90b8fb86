import type { Pool } from "mysql2/promise";
import { connectPaymentDatabase, type PaymentDatabaseConfig } from "../../src/db/connection.js";
import { migratePaymentDatabase } from "../../src/db/migrate.js";

/**
 * The payment suites' MariaDB, passed explicitly (vitest.config.ts's DB_* are PostgreSQL's):
 * root without a password on 127.0.0.1:3306, as this machine kind sets it up, in a database of
 * the tests' own. PAYMENT_TEST_DB_* override each part.
 */
export const testDatabaseConfig: PaymentDatabaseConfig = {
  host: process.env.PAYMENT_TEST_DB_HOST ?? "127.0.0.1",
  port: Number(process.env.PAYMENT_TEST_DB_PORT ?? 3306),
  user: process.env.PAYMENT_TEST_DB_USER ?? "root",
  password: process.env.PAYMENT_TEST_DB_PASSWORD ?? "",
  database: process.env.PAYMENT_TEST_DB_NAME ?? "payment_service_test",
};

/**
 * Migrates the test database (creating it if missing) and opens a pool on it. Suites share it and
 * stay apart by using fresh user, product and payment ids; a suite whose work spans every row
 * (the expiry sweeper) passes a `suffix` for a database of its own.
 */
export async function openTestDatabase(suffix = ""): Promise<Pool> {
  const config = { ...testDatabaseConfig, database: testDatabaseConfig.database + suffix };
  await migratePaymentDatabase(config);
  return connectPaymentDatabase({ ...config, maxConnections: 20 });
}

/** An outbox row as the tests look at it, payload parsed. */
export type OutboxEntry = {
  id: string;
  eventId: string;
  topic: string;
  key: string;
  type: string;
  payload: Record<string, unknown>;
  published: boolean;
};

/** Every outbox row that mentions `paymentId` (every event payload carries it), in id order. */
export async function outboxOf(pool: Pool, paymentId: string): Promise<OutboxEntry[]> {
  const [rows] = await pool.query(
    "SELECT id, event_id, topic, message_key, event_type, payload, published_at" +
      " FROM outbox WHERE payload LIKE ? ORDER BY id",
    [`%"${paymentId}"%`],
  );
  return (rows as Record<string, string | null>[]).map((row) => ({
    id: String(row.id),
    eventId: String(row.event_id),
    topic: String(row.topic),
    key: String(row.message_key),
    type: String(row.event_type),
    payload: JSON.parse(String(row.payload)),
    published: row.published_at !== null,
  }));
}

/** How many rows of `table` belong to `paymentId` (`payments` counts the payment itself). */
export async function countRows(
  pool: Pool,
  table: "payments" | "payment_items" | "refunds",
  paymentId: string,
): Promise<number> {
  const column = table === "payments" ? "id" : "payment_id";
  const [rows] = await pool.query(`SELECT COUNT(*) AS n FROM ${table} WHERE ${column} = ?`, [
    paymentId,
  ]);
  return Number((rows as { n: string }[])[0]?.n);
}
