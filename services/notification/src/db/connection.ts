import { connectPostgres, type PostgresConfig, type PostgresSql } from "#shared/postgres";
import type { StoreGuard } from "#shared/store-errors";

/**
 * How long a notification database call may take before the caller hears DeadlineExceeded: under the
 * gateway's 5 s upstream deadline, so REST callers get this service's answer. A call that cannot
 * connect fails sooner, with Unavailable: refused at once, or after the 3 s connect timeout when
 * the network swallows the connection attempt.
 */
export const NOTIFICATION_DATABASE: StoreGuard = {
  name: "notification database (PostgreSQL)",
  deadlineMs: 4_000,
};

/** Where the notification database lives and how many connections the service may hold. */
export type NotificationDatabaseConfig = PostgresConfig;

/**
 * Opens a postgres.js pool for the notification database (see `connectPostgres`); bound its calls with
 * `callStore` / `guardStore` and {@link NOTIFICATION_DATABASE}.
 */
export function connectNotificationDatabase(config: NotificationDatabaseConfig): PostgresSql {
  return connectPostgres("notification", config);
}

/** The postgres.js client type this service uses everywhere. */
export type NotificationSql = PostgresSql;
