import { readdirSync, readFileSync } from "node:fs";
import mysql from "mysql2/promise";
import type { DatabaseSettings } from "#shared/database";
import { cpuMs, taskCpuMs } from "./proc-stats.js";

/** One store's CPU counters at an instant: milliseconds per process or thread id. */
export type StoreSample = ReadonlyMap<string, ReadonlyMap<number, number>>;

/**
 * CPU the stores spend, sampled like the servers' processes: the PostgreSQL backends connected
 * to the bench's product and notification databases (found by their process titles), the MariaDB threads of the
 * connections to the bench's payment database (their thread ids from PROCESSLIST), and the whole
 * `redis-server` and Kafka broker processes. The last two serve everyone on this machine, so
 * their share is an upper bound when others use them; background work of PostgreSQL (WAL
 * writer, checkpointer) and InnoDB (log writer, purge) is left out of the first two.
 */
export interface StoreCpu {
  /** The stores, in the order `perRequest` reports them. */
  readonly names: readonly string[];
  /** Looks up the MariaDB connections' thread ids again (pools open connections lazily). */
  refresh(): Promise<void>;
  sample(): StoreSample;
  /** CPU µs per request of each store between two samples. */
  perRequest(from: StoreSample, to: StoreSample, requests: number): number[];
  close(): Promise<void>;
}

export interface StoreCpuOptions {
  /** The bench's PostgreSQL databases (product, notification): their backends are counted. */
  readonly postgresDatabases: readonly string[];
  readonly payment: DatabaseSettings;
  /** The broker's process id; without it, the first Kafka broker process found. */
  readonly kafkaPid?: number | undefined;
}

export function createStoreCpu(options: StoreCpuOptions): StoreCpu {
  const maria = findPid((comm) => comm === "mariadbd" || comm === "mysqld");
  const redis = findPid((comm) => comm === "redis-server");
  const kafka = options.kafkaPid ?? findPid((_, cmdline) => cmdline.includes("kafka.Kafka"));
  const connection = mysql.createConnection({
    host: options.payment.host,
    port: options.payment.port,
    user: options.payment.user,
    password: options.payment.password,
  });
  let mariaThreads: number[] = [];
  const names = ["postgres", "mariadb", "redis*", "kafka*"];

  return {
    names,
    async refresh() {
      const [rows] = await (await connection).query(
        "SELECT TID AS tid FROM information_schema.PROCESSLIST WHERE DB = ?",
        [options.payment.database],
      );
      mariaThreads = (rows as { tid: number }[]).map((row) => Number(row.tid));
    },
    sample() {
      const pg = new Map(
        postgresBackends(options.postgresDatabases).map((pid) => [pid, cpuMs(pid)] as const),
      );
      const threads = new Map(
        maria === undefined ? [] : mariaThreads.map((tid) => [tid, taskCpuMs(maria, tid)] as const),
      );
      const whole = (pid: number | undefined) =>
        new Map(pid === undefined ? [] : [[pid, cpuMs(pid)] as const]);
      return new Map([
        ["postgres", pg],
        ["mariadb", threads],
        ["redis*", whole(redis)],
        ["kafka*", whole(kafka)],
      ]);
    },
    perRequest(from, to, requests) {
      return names.map((name) => {
        const before = from.get(name) ?? new Map<number, number>();
        let spent = 0;
        for (const [id, ms] of to.get(name) ?? []) {
          // A PostgreSQL backend that appeared during the window is a new process: it counts from
          // zero. A MariaDB thread that did comes from its thread cache with the CPU of earlier
          // connections (anyone's) on it, so it is left out; the pools are warm by then.
          const start = before.get(id) ?? (name === "postgres" ? 0 : Number.NaN);
          const delta = ms - start;
          if (Number.isFinite(delta)) spent += delta;
        }
        return (spent * 1000) / requests;
      });
    },
    async close() {
      await (await connection).end();
    },
  };
}

/** Pids of the PostgreSQL backends whose title names one of `databases` ("postgres: … user db host …"). */
function postgresBackends(databases: readonly string[]): number[] {
  const pids: number[] = [];
  for (const { pid, cmdline } of processes()) {
    if (!cmdline.startsWith("postgres: ")) continue;
    if (cmdline.split(" ").some((word) => databases.includes(word))) pids.push(pid);
  }
  return pids;
}

function findPid(match: (comm: string, cmdline: string) => boolean): number | undefined {
  return processes().find(({ comm, cmdline }) => match(comm, cmdline))?.pid;
}

function processes(): { pid: number; comm: string; cmdline: string }[] {
  const found: { pid: number; comm: string; cmdline: string }[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const comm = readFileSync(`/proc/${entry}/comm`, "utf8").trim();
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ").trim();
      found.push({ pid: Number(entry), comm, cmdline });
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}
