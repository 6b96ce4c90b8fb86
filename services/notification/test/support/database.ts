import { afterAll, beforeAll } from "vitest";
import { localDatabase } from "#scripts/dev-stores";
import { service } from "#services";
import { createMetrics, type Metrics } from "#shared/metrics";
import { testLogger } from "#shared-test/kafka";
import { startTestServer } from "#shared-test/service-harness";
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

/**
 * The notification service for one test file, on the pool `openSql` opens: started before the
 * file's tests, and its hub, server and pool closed after them. The fields are set once started.
 */
export function serveTestApp(openSql: () => Promise<NotificationSql>) {
  const service = {} as {
    sql: NotificationSql;
    app: NotificationApp;
    server: Awaited<ReturnType<typeof startTestServer>>;
  };
  beforeAll(async () => {
    service.sql = await openSql();
    service.app = await testApp(service.sql);
    service.server = await startTestServer(service.app);
  });
  afterAll(async () => {
    await service.app?.hub.close();
    await service.server?.close(100);
    await service.sql?.end({ timeout: 1 });
  });
  return service;
}
