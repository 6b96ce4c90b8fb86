import { localDatabase } from "#scripts/dev-stores";
import { service } from "#services";
import { createMetrics, type Metrics } from "#shared/metrics";
import { testLogger } from "#shared-test/kafka";
import { createNotificationApp, type NotificationApp } from "../../src/app.js";
import { connectNotificationDatabase, type NotificationSql } from "../../src/db/connection.js";
import { migrateNotificationDatabase } from "../../src/db/migrate.js";

/**
 * The notification tests' database: `notification_service_test` with the development login,
 * unless `NOTIFICATION_TEST_DB_NAME` (or `NOTIFICATION_TEST_DB_HOST` … `_PASSWORD`) says otherwise.
 */
export const testDatabaseConfig = localDatabase(service("notification"), "test");

/** Migrates the test database (creating it if missing) and opens a pool on it. */
export async function openTestDatabase(): Promise<NotificationSql> {
  await migrateNotificationDatabase(testDatabaseConfig);
  return connectNotificationDatabase(testDatabaseConfig);
}

/** The app as main.ts makes it, on `sql`, listening; `heartbeatMs` 15 s unless given. */
export function testApp(
  sql: NotificationSql,
  options: { heartbeatMs?: number; metrics?: Metrics } = {},
): Promise<NotificationApp> {
  return createNotificationApp(sql, {
    logger: testLogger(),
    metrics: options.metrics ?? createMetrics(),
    heartbeatMs: options.heartbeatMs ?? 15_000,
  });
}
