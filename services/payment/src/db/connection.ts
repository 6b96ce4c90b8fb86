import { drizzle, type MySql2Database } from "drizzle-orm/mysql2";
import mysql, { type Pool, type PoolOptions } from "mysql2/promise";

/** Where the payment database lives and how many connections the service may hold. */
export type PaymentDatabaseConfig = {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** TLS to the server, verifying its certificate; off unless set. */
  ssl?: boolean;
  /** Pool size; 10 unless set. */
  maxConnections?: number;
};

/**
 * mysql2 options shared by the pool and the single connections of the migrator and the outbox
 * relay: BIGINT and DECIMAL come back as exact strings (never a rounded `number`), dates are
 * written and read as UTC, and the server stays in strict mode so bad data is an error.
 */
export function mysqlOptions(config: PaymentDatabaseConfig): PoolOptions {
  return {
    host: config.host,
    port: config.port,
    user: config.user,
    password: config.password,
    database: config.database,
    ssl: config.ssl ? {} : undefined,
    charset: "utf8mb4",
    timezone: "Z",
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
    // A refused or silent server fails a request within seconds (SPEC: outages answer 503).
    connectTimeout: 3_000,
  };
}

/** The SQL every new connection runs first: UTC and strict mode, whatever the server default. */
export const SESSION_SETUP =
  "SET time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE'";

/**
 * Opens a mysql2 pool for the payment database. It connects lazily, so this never throws for an
 * unreachable server; the first query (or `checkDatabase`) does.
 */
export function connectPaymentDatabase(config: PaymentDatabaseConfig): Pool {
  const pool = mysql.createPool({
    ...mysqlOptions(config),
    connectionLimit: config.maxConnections ?? 10,
    maxIdle: config.maxConnections ?? 10,
    idleTimeout: 30_000,
    enableKeepAlive: true,
    // For `inBatchedTransaction`: several statements in one round trip. Safe only because
    // every value goes through a `?` placeholder, which mysql2 escapes; no SQL is ever built
    // from input text.
    multipleStatements: true,
    // mysql2's promise API captures a stack trace per query for its errors' async stack unless
    // told not to: measurable CPU on every checkout. Errors keep their message, code and cause.
    trace: false,
  });
  // The callback pool underneath emits "connection" once per new physical connection.
  // It runs before anything else on the connection; a callback keeps a failure from being an
  // unhandled 'error' event (the queries after it fail on their own then).
  pool.pool.on("connection", (connection) => {
    connection.query(SESSION_SETUP, () => {});
  });
  return pool;
}

/** The drizzle database over a pool or a single connection. */
export function paymentDb(client: Pool | mysql.Connection): PaymentDb {
  // No `mode` option: drizzle 0.45 then mistakes the config for a client (its isConfig check).
  return drizzle({ client });
}

/** The drizzle database type this service uses everywhere. */
export type PaymentDb = MySql2Database<Record<string, never>>;

/** Readiness probe: resolves when the database answers, rejects otherwise. */
export async function checkDatabase(pool: Pool): Promise<void> {
  await pool.query("SELECT 1");
}
