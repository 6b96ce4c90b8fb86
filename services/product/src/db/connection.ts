import postgres, { type Sql } from "postgres";
import type { DatabaseSettings } from "#shared/database";

/** Where the product database lives and how many connections the service may hold. */
export type ProductDatabaseConfig = DatabaseSettings & {
  /** Pool size; 10 unless set. */
  maxConnections?: number;
  /** Seconds an unused connection stays open; 30 unless set. */
  idleTimeoutSeconds?: number;
  /** How the sessions show in pg_stat_activity; "product-service" unless set. */
  applicationName?: string;
};

/**
 * Opens a postgres.js pool for the product database. The pool connects lazily, so this never
 * throws for an unreachable server; the first query (or `checkDatabase`) does.
 *
 * int8 columns (ids, counts) come back as `bigint`, never as a rounded `number`; NUMERIC stays a
 * string; the session time zone is UTC so timestamps read as text have one fixed shape.
 */
export function connectProductDatabase(config: ProductDatabaseConfig): Sql<{ bigint: bigint }> {
  return postgres({
    host: config.host,
    port: config.port,
    user: config.user,
    password: config.password,
    database: config.database,
    max: config.maxConnections ?? 10,
    idle_timeout: config.idleTimeoutSeconds ?? 30,
    connect_timeout: 10,
    prepare: true,
    types: { bigint: postgres.BigInt },
    connection: { application_name: config.applicationName ?? "product-service", TimeZone: "UTC" },
    // Notices ("relation already exists, skipping") are expected during migrations, not news.
    onnotice: () => {},
  });
}

/** The postgres.js client type this service uses everywhere. */
export type ProductSql = ReturnType<typeof connectProductDatabase>;
