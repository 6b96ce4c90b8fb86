import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres, { type Sql } from "postgres";
import type { DatabaseSettings } from "./database.js";

/** Where a service's PostgreSQL database lives and how many connections it may hold. */
export type PostgresConfig = DatabaseSettings & {
  /** Pool size; 10 unless set. */
  maxConnections?: number;
  /** Seconds an unused connection stays open; 30 unless set. */
  idleTimeoutSeconds?: number;
  /** How the sessions show in pg_stat_activity; `<service>-service` unless set. */
  applicationName?: string;
};

/** The postgres.js client every PostgreSQL service uses. */
export type PostgresSql = Sql<{ bigint: bigint }>;

/**
 * Opens a postgres.js pool for `service`'s database. The pool connects lazily, so this never
 * throws for an unreachable server; the first query does.
 *
 * Outages stay short for callers: connecting gives up after 3 s, and after failed attempts the
 * pool waits at most 1 s before trying again (postgres.js's default backoff grows to 20 s, which
 * would keep the service down that long after the database returns). postgres.js has no query
 * timeout: bound calls with `callStore` / `guardStore` and the service's StoreGuard.
 *
 * int8 columns (ids, counts) come back as `bigint`, never as a rounded `number`; NUMERIC stays a
 * string; the session time zone is UTC so timestamps read as text have one fixed shape.
 */
export function connectPostgres(service: string, config: PostgresConfig): PostgresSql {
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
      application_name: config.applicationName ?? `${service}-service`,
      TimeZone: "UTC",
    },
    // Notices ("relation already exists, skipping") are expected during migrations, not news.
    onnotice: () => {},
  });
}

/** What one service's PostgreSQL migrations need. */
export interface PostgresMigrations {
  /** The service, for pool names and log lines ("product"). */
  readonly service: string;
  /** The drizzle-kit folder (`findMigrationsFolder` from #shared/migrations). */
  readonly folder: string;
  /** Any 64-bit number shared by every migrating process; pg_advisory_lock serialises them. */
  readonly lockKey: bigint;
}

/** SQLSTATEs of two concurrent CREATE DATABASE of one name: the loser sees either. */
const DUPLICATE_DATABASE = new Set(["42P04", "23505"]);

/**
 * Creates the database if it is missing, then applies every pending migration from
 * `migrations.folder`. Safe to call from many processes at once: creation tolerates losing the
 * race and migrations run under an advisory lock, so each migration runs once. `log` receives one
 * line per step worth telling.
 */
export async function migratePostgres(
  config: PostgresConfig,
  migrations: PostgresMigrations,
  log: (line: string) => void = () => {},
): Promise<void> {
  const { service, folder, lockKey } = migrations;
  await ensureDatabase(service, config, log);
  // One connection, so the session-level lock and the migrator's transaction share it.
  const sql = connectPostgres(service, { ...config, maxConnections: 1 });
  try {
    await sql`SELECT pg_advisory_lock(${lockKey})`;
    try {
      await migrate(drizzle({ client: sql }), { migrationsFolder: folder });
    } finally {
      await sql`SELECT pg_advisory_unlock(${lockKey})`;
    }
    log(`${service} database ${config.database} is up to date`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function ensureDatabase(
  service: string,
  config: PostgresConfig,
  log: (line: string) => void,
) {
  const admin = connectPostgres(service, { ...config, database: "postgres", maxConnections: 1 });
  try {
    const [found] = await admin`SELECT 1 FROM pg_database WHERE datname = ${config.database}`;
    if (found) return;
    await createDatabase(admin, config.database);
    log(`created database ${config.database}`);
  } finally {
    await admin.end({ timeout: 5 });
  }
}

async function createDatabase(admin: PostgresSql, name: string): Promise<void> {
  try {
    // CREATE DATABASE takes no parameters; sql(name) quotes the identifier.
    await admin`CREATE DATABASE ${admin(name)}`;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" && DUPLICATE_DATABASE.has(code)) return;
    throw error;
  }
}
