/**
 * The stores on a development machine, for everything that runs the services locally: `npm start`,
 * `npm run migrate`, the tests, drizzle-kit and the bench. Development credentials live here and
 * nowhere else; a deployment sets its own (compose.yaml, the environment).
 *
 * Each service's database has one name per use, each overridable by variables prefixed with the
 * service's name, so one environment can describe them all without the services' own `DB_*`
 * colliding (product as the example):
 *
 * - dev (`npm start`, `npm run migrate`): `product_service`; `PRODUCT_DB_HOST` … `PRODUCT_DB_NAME`
 * - test: `product_service_test`; `PRODUCT_TEST_DB_HOST` … `PRODUCT_TEST_DB_NAME`
 * - bench: `product_service_bench`; `PRODUCT_BENCH_DB_HOST` … `PRODUCT_BENCH_DB_NAME`
 *
 * Redis is one server for all: `REDIS_HOST`, `REDIS_PORT`, `REDIS_PASSWORD`; database `REDIS_DB`
 * (0) for dev, `TEST_REDIS_DB` (15) for tests, `BENCH_REDIS_DB` (14) for the bench.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { databaseOf, type ServiceEntry, services, storeKinds } from "#services";
import {
  DATABASE_PORTS,
  type DatabaseSettings,
  databaseEnv,
  readDatabaseSettings,
} from "#shared/database";

/** Development only: the role `scripts/ensure-stores.sh` creates on every database server. */
const DEV_LOGIN = { host: "127.0.0.1", user: "shop", password: "shop" };

/** What a local database is for; each use has its own database. */
export type Use = "dev" | "test" | "bench";

/** Where a local Redis database lives. */
export interface RedisSettings {
  readonly host: string;
  readonly port: number;
  readonly password: string | undefined;
  readonly db: number;
}

/**
 * The local database of `entry` for `use`: the development login and the server kind's port,
 * unless `<NAME>_[TEST_|BENCH_]DB_*` say otherwise. Throws for a service without a database.
 */
export function localDatabase(
  entry: ServiceEntry,
  use: Use = "dev",
  env: NodeJS.ProcessEnv = process.env,
): DatabaseSettings {
  const store = databaseOf(entry);
  if (!store) throw new Error(`the ${entry.name} service has no database`);
  const prefix = `${entry.name.toUpperCase()}_${use === "dev" ? "" : `${use.toUpperCase()}_`}`;
  const database = use === "dev" ? store.database : `${store.database}_${use}`;
  const dev = {
    [`${prefix}DB_HOST`]: DEV_LOGIN.host,
    [`${prefix}DB_USER`]: DEV_LOGIN.user,
    [`${prefix}DB_PASSWORD`]: DEV_LOGIN.password,
  };
  const defaults = { port: DATABASE_PORTS[store.kind], database };
  return readDatabaseSettings({ ...dev, ...env }, defaults, prefix);
}

/** The local Redis database for `use`. */
export function localRedis(use: Use = "dev", env: NodeJS.ProcessEnv = process.env): RedisSettings {
  const db = {
    dev: env.REDIS_DB ?? "0",
    test: env.TEST_REDIS_DB ?? "15",
    bench: env.BENCH_REDIS_DB ?? "14",
  };
  return {
    host: env.REDIS_HOST || "127.0.0.1",
    port: Number(env.REDIS_PORT || 6379),
    password: env.REDIS_PASSWORD || undefined,
    db: Number(db[use]),
  };
}

/** The environment that points `entry`'s process at its local store for `use`. */
export function localStoreEnv(entry: ServiceEntry, use: Use = "dev"): Record<string, string> {
  if (databaseOf(entry)) return databaseEnv(localDatabase(entry, use));
  const redis = localRedis(use);
  return {
    REDIS_HOST: redis.host,
    REDIS_PORT: String(redis.port),
    REDIS_DB: String(redis.db),
    ...(redis.password === undefined ? {} : { REDIS_PASSWORD: redis.password }),
  };
}

/**
 * Runs `scripts/ensure-stores.sh` for every store kind a listed service uses: starts each server
 * that is down and creates the login of `use`'s databases. Its output goes to this process's stderr.
 */
export function ensureStores(use: Use = "dev"): void {
  const env: Record<string, string> = {};
  for (const entry of services) {
    const store = databaseOf(entry);
    if (!store) continue;
    const { host, port, user, password } = localDatabase(entry, use);
    const kind = store.kind.toUpperCase();
    Object.assign(env, {
      [`${kind}_HOST`]: host,
      [`${kind}_PORT`]: String(port),
      APP_USER: user,
      APP_PASSWORD: password,
    });
  }
  const redis = localRedis(use);
  Object.assign(env, { REDIS_HOST: redis.host, REDIS_PORT: String(redis.port) });
  const script = scriptFile("ensure-stores.sh");
  execFileSync("bash", [script, ...storeKinds()], {
    stdio: ["ignore", process.stderr, process.stderr],
    env: { ...process.env, ...env },
  });
}

/**
 * Applies the migrations of every listed service that has a database to its local database for
 * `use`, one after the other; `log` gets the migrators' lines.
 */
export async function migrateLocalDatabases(
  use: Use = "dev",
  log: (line: string) => void = () => {},
): Promise<void> {
  for (const entry of services) {
    const store = databaseOf(entry);
    if (!store) continue;
    const migrate = await store.migrate();
    await migrate(localDatabase(entry, use), log);
  }
}

/** The path of a file in the repository's `scripts/`, from its sources or from `dist/scripts/`. */
export function scriptFile(name: string): string {
  return fileURLToPath(new URL(name, sourceFolder()));
}

/** `scripts/` in the repository, from here or from `dist/scripts/`. */
function sourceFolder(): URL {
  const here = new URL(".", import.meta.url);
  return here.pathname.includes("/dist/scripts/") ? new URL("../../scripts/", here) : here;
}
