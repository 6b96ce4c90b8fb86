import { type ChildProcess, execFile, spawn } from "node:child_process";
import { chown, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { DatabaseSettings } from "#shared/database";

/**
 * Real store servers of a test file's own, on free loopback ports in temp folders, so a test can
 * stop and start "the database" without touching the machine's shared servers that other suites
 * use. Every start and stop is bounded by {@link BOUND_MS} and fails with the server's own log;
 * `close()` stops the server and removes its folder (call it in `afterAll`).
 *
 * Measured on a shared 2-core machine, creation and first start together: PostgreSQL 15 2.4–3.9 s
 * (initdb is most of it), MariaDB 10.11 2.8–4.7 s (mariadb-install-db ~2.3 s), Redis 7 well
 * under a second. Restarts take 0.3–0.8 s, stops under one.
 */
export interface PrivateServer {
  readonly port: number;
  /** Stops the server the way an operator would (PostgreSQL: fast shutdown; others: SIGTERM). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it if running and removes its data. */
  close(): Promise<void>;
}

/** A private database server with a superuser login that needs no password. */
export interface PrivateDatabase extends PrivateServer {
  /** Settings for `database` on this server (created by the caller, e.g. by the migrations). */
  settings(database: string): DatabaseSettings;
}

const BOUND_MS = 30_000;
const run = promisify(execFile);

/** PostgreSQL from the newest /usr/lib/postgresql/<version>, as the `postgres` OS user when root. */
export async function startPrivatePostgres(): Promise<PrivateDatabase> {
  const bin = await postgresBinDir();
  const dir = await mkdtemp(join(tmpdir(), "private-pg-"));
  const asUser = process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--"] : [];
  if (asUser.length > 0) {
    const [uid, gid] = await Promise.all(["-u", "-g"].map((flag) => idOf("postgres", flag)));
    await chown(dir, Number(uid), Number(gid));
  }
  const data = join(dir, "data");
  const port = await freePort();
  const pg = (tool: string, ...args: string[]) => {
    const [command = "", ...rest] = [...asUser, join(bin, tool), ...args];
    return bounded(`${tool} ${args.at(-1)}`, run(command, rest, { timeout: BOUND_MS }), () =>
      readFile(join(dir, "log"), "utf8"),
    );
  };
  const server = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const start = () => pg("pg_ctl", "-D", data, "-l", join(dir, "log"), "-o", server, "-w", "start");
  const stop = () => pg("pg_ctl", "-D", data, "-m", "fast", "-w", "stop");
  let running = false;
  try {
    await pg("initdb", "-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8");
    await start();
    running = true;
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    settings: (database) => ({ host: "127.0.0.1", port, user: "postgres", password: "", database }),
    start: async () => {
      await start();
      running = true;
    },
    stop: async () => {
      await stop();
      running = false;
    },
    close: async () => {
      if (running) await pg("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop").catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Redis with no persistence, as a child process. */
export async function startPrivateRedis(): Promise<PrivateServer> {
  const port = await freePort();
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
  return childServer({
    name: "redis-server",
    port,
    spawn: () => spawn("redis-server", [...args, "--daemonize", "no"]),
    ready: /Ready to accept connections/,
  });
}

/** MariaDB with root and no password, as a child process. */
export async function startPrivateMariadb(): Promise<PrivateDatabase> {
  const dir = await mkdtemp(join(tmpdir(), "private-mariadb-"));
  const data = join(dir, "data");
  // --no-defaults: the machine's my.cnf names another user and data folder.
  const user = process.getuid?.() === 0 ? ["--user=root"] : [];
  try {
    await bounded(
      "mariadb-install-db",
      run(
        "mariadb-install-db",
        [
          "--no-defaults",
          `--datadir=${data}`,
          "--auth-root-authentication-method=normal",
          "--skip-test-db",
          "--skip-name-resolve",
          ...user,
        ],
        { timeout: BOUND_MS },
      ),
    );
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const port = await freePort();
  const server = await childServer({
    name: "mariadbd",
    port,
    spawn: () =>
      spawn("mariadbd", [
        "--no-defaults",
        `--datadir=${data}`,
        `--port=${port}`,
        "--bind-address=127.0.0.1",
        `--socket=${join(dir, "mariadb.sock")}`,
        `--pid-file=${join(dir, "mariadb.pid")}`,
        "--skip-name-resolve",
        "--innodb-buffer-pool-size=16M",
        ...user,
      ]),
    ready: /ready for connections/,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  });
  return {
    ...server,
    settings: (database) => ({ host: "127.0.0.1", port, user: "root", password: "", database }),
  };
}

/** A server run as our child: started, stopped with SIGTERM, restarted with the same command. */
async function childServer(options: {
  name: string;
  port: number;
  spawn: () => ChildProcess;
  /** A line of its output that says it accepts connections. */
  ready: RegExp;
  cleanup?: () => Promise<unknown>;
}): Promise<PrivateServer> {
  let child: ChildProcess | undefined;
  const start = async () => {
    const started = options.spawn();
    child = started;
    let output = "";
    const up = new Promise<void>((resolve, reject) => {
      const read = (chunk: Buffer) => {
        output += chunk.toString();
        if (options.ready.test(output)) resolve();
      };
      started.stdout?.on("data", read);
      started.stderr?.on("data", read);
      started.once("error", reject);
      started.once("exit", (code) => reject(new Error(`exited with ${code}`)));
    });
    await bounded(`${options.name} start`, up, async () => output).catch((error) => {
      started.kill("SIGKILL");
      throw error;
    });
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once("exit", resolve));
    running.kill("SIGTERM");
    await bounded(`${options.name} stop`, exited).catch((error) => {
      running.kill("SIGKILL");
      throw error;
    });
  };
  await start();
  return {
    port: options.port,
    start,
    stop,
    close: async () => {
      await stop().catch(() => {});
      await options.cleanup?.();
    },
  };
}

/** `work`, or an error naming `what` (with the server's log, when there is one) after BOUND_MS. */
async function bounded<T>(
  what: string,
  work: Promise<T>,
  log: () => Promise<string> = async () => "",
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not done within ${BOUND_MS} ms`)), BOUND_MS);
  });
  try {
    return await Promise.race([work, late]);
  } catch (error) {
    const text = await log().catch(() => "");
    const tail = text.split("\n").slice(-15).join("\n");
    throw new Error(`private server: ${what} failed: ${String(error)}\n${tail}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

async function postgresBinDir(): Promise<string> {
  const root = "/usr/lib/postgresql";
  const versions = (await readdir(root).catch(() => [])).filter((name) => /^\d+$/.test(name));
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error(`private server: no PostgreSQL under ${root}`);
  return join(root, newest, "bin");
}

async function idOf(user: string, flag: string): Promise<string> {
  return (await run("id", [flag, user])).stdout.trim();
}

/** A loopback port nobody listens on right now. */
async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
