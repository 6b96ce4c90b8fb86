import postgres, { type Sql } from "postgres";
import type { DatabaseSettings } from "#shared/database";
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
export type NotificationDatabaseConfig = DatabaseSettings & {
  /** Pool size; 10 unless set. */
  maxConnections?: number;
  /** Seconds an unused connection stays open; 30 unless set. */
  idleTimeoutSeconds?: number;
  /** How the sessions show in pg_stat_activity; "notification-service" unless set. */
  applicationName?: string;
};

/**
 * Opens a postgres.js pool for the notification database. The pool connects lazily, so this never
 * throws for an unreachable server; the first query (or `checkDatabase`) does.
 *
 * Outages stay short for callers: connecting gives up after 3 s, and after failed attempts the
 * pool waits at most 1 s before trying again (postgres.js's default backoff grows to 20 s, which
 * would keep the service down that long after the database returns). postgres.js has no query
 * timeout: bound calls with `callStore` / `guardStore` and {@link NOTIFICATION_DATABASE}.
 *
 * int8 columns (ids, counts) come back as `bigint`, never as a rounded `number`; NUMERIC stays a
 * string; the session time zone is UTC so timestamps read as text have one fixed shape.
 */
export function connectNotificationDatabase(
  config: NotificationDatabaseConfig,
): Sql<{ bigint: bigint }> {
  return postgres({
    host: config.host,
    port: config.port,
    user: config.user,
    password: config.password,
    database: config.database,
    max: config.maxConnections ?? 10,
    idle_timeout: config.idleTimeoutSeconds ?? 30,
    connect_timeout: 3,
    backoff: (attempt: number) => Math.min(0.05 * 2 ** attempt, 1),
    prepare: true,
    types: { bigint: postgres.BigInt },
    connection: {
      application_name: config.applicationName ?? "notification-service",
      TimeZone: "UTC",
    },
    // Notices ("relation already exists, skipping") are expected during migrations, not news.
    onnotice: () => {},
  });
}

/** The postgres.js client type this service uses everywhere. */
export type NotificationSql = ReturnType<typeof connectNotificationDatabase>;
