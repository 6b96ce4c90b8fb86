import { z } from "zod";
import { ConfigError, parseConfig, port } from "./config.js";

/** Where a database lives and who logs in: what a service's pool and its migrations need. */
export interface DatabaseSettings {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
}

/** The default port of each database server kind. */
export const DATABASE_PORTS = { postgres: 5432, mariadb: 3306 } as const;

/**
 * The `DB_*` variables a database service reads in its own process (SPEC §2): host `localhost`,
 * the kind's port, a required user, an empty password meaning none, and the service's database.
 */
export function databaseConfigShape(defaults: { port: number; database: string }) {
  return {
    DB_HOST: z.string().default("localhost"),
    DB_PORT: port(defaults.port),
    DB_USER: z.string(),
    /** Empty means no password (trust or peer authentication). */
    DB_PASSWORD: z.string().default(""),
    DB_NAME: z.string().default(defaults.database),
  };
}

type DatabaseConfig = z.infer<z.ZodObject<ReturnType<typeof databaseConfigShape>>>;

/** The settings a parsed `databaseConfigShape` names. */
export function toDatabaseSettings(config: DatabaseConfig): DatabaseSettings {
  return {
    host: config.DB_HOST,
    port: config.DB_PORT,
    user: config.DB_USER,
    password: config.DB_PASSWORD,
    database: config.DB_NAME,
  };
}

const VARIABLES = ["DB_HOST", "DB_PORT", "DB_USER", "DB_PASSWORD", "DB_NAME"] as const;

/**
 * Reads `<prefix>DB_HOST` … `<prefix>DB_NAME` from `env` with `databaseConfigShape`'s rules, so
 * one environment can describe several databases (`PRODUCT_DB_NAME`, `PRODUCT_TEST_DB_NAME`).
 * A bad value throws a ConfigError naming the prefixed variable.
 */
export function readDatabaseSettings(
  env: Record<string, string | undefined>,
  defaults: { port: number; database: string },
  prefix = "",
): DatabaseSettings {
  const own = Object.fromEntries(VARIABLES.map((name) => [name, env[`${prefix}${name}`]]));
  try {
    return toDatabaseSettings(parseConfig(databaseConfigShape(defaults), own));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(error.message.replace(/\bDB_[A-Z]+/g, (name) => `${prefix}${name}`));
  }
}

/** The `DB_*` variables that hand `settings` to a service or migration process. */
export function databaseEnv(
  settings: DatabaseSettings,
): Record<(typeof VARIABLES)[number], string> {
  return {
    DB_HOST: settings.host,
    DB_PORT: String(settings.port),
    DB_USER: settings.user,
    DB_PASSWORD: settings.password,
    DB_NAME: settings.database,
  };
}
