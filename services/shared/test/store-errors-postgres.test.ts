import net from "node:net";
import { sql as q } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { DependencyTimeout, DependencyUnavailable } from "#shared/errors";
import { callStore, storeFailureOf } from "#shared/store-errors";
import { type PrivateDatabase, startPrivatePostgres } from "#shared-test/private-servers";
import { startTcpProxy } from "#shared-test/tcp-proxy";

// A private PostgreSQL of this file, stopped and started by the tests; drizzle over postgres.js
// as the product service uses them, with its 3 s connect timeout.
let server: PrivateDatabase;
let client: postgres.Sql;
const db = () => drizzle({ client });
const failureOf = (work: Promise<unknown>) => work.then(() => "ok", storeFailureOf);
const STORE = { name: "test database (PostgreSQL)", deadlineMs: 2_000 };

beforeAll(async () => {
  server = await startPrivatePostgres();
  const settings = server.settings("postgres");
  client = postgres({ ...settings, max: 2, connect_timeout: 3, onnotice: () => {} });
});
afterAll(async () => {
  await client?.end({ timeout: 1 });
  await server?.close();
});

describe("store failures of PostgreSQL (postgres.js, drizzle)", () => {
  it("are unavailable while the server is stopped, and the pool recovers when it returns", async () => {
    await db().execute(q`SELECT 1`);
    const running = db().execute(q`SELECT pg_sleep(30)`);
    running.catch(() => {});
    await vi.waitFor(async () => {
      const [row] = await client`SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE query = 'SELECT pg_sleep(30)' AND state = 'active'`;
      expect(row?.n).toBe(1);
    });
    await server.stop();
    // drizzle wraps the driver's error (CONNECTION_CLOSED, then ECONNREFUSED) as its cause
    expect(await failureOf(running)).toBe("unavailable");
    expect(await failureOf(db().execute(q`SELECT 1`))).toBe("unavailable");
    expect(await failureOf(db().transaction((tx) => tx.execute(q`SELECT 1`)))).toBe("unavailable");
    await expect(callStore(STORE, () => client`SELECT 1`)).rejects.toThrow(DependencyUnavailable);

    await server.start();
    await vi.waitFor(() => db().execute(q`SELECT 1`), { timeout: 15_000, interval: 200 });
  });

  it("is unavailable when a session is terminated by an administrator", async () => {
    const victim = postgres({ ...server.settings("postgres"), max: 1 });
    try {
      await victim`SELECT 1`;
      const running = victim`SELECT pg_sleep(30)`;
      running.catch(() => {});
      await vi.waitFor(async () => {
        const [row] = await client`SELECT count(pg_terminate_backend(pid))::int AS n
          FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)'`;
        expect(row?.n).toBe(1);
      });
      expect(await failureOf(running)).toBe("unavailable");
    } finally {
      await victim.end({ timeout: 1 });
    }
  });

  it("is unavailable when the server refuses more connections (53300)", async () => {
    await client`DROP ROLE IF EXISTS limited`;
    await client`CREATE ROLE limited LOGIN CONNECTION LIMIT 1`;
    const settings = { ...server.settings("postgres"), user: "limited" };
    const first = postgres({ ...settings, max: 1 });
    const second = postgres({ ...settings, max: 1 });
    try {
      await first`SELECT 1`;
      const refused = await second`SELECT 1`.catch((error: unknown) => error);
      expect((refused as { code?: string }).code).toBe("53300");
      expect(storeFailureOf(refused)).toBe("unavailable");
    } finally {
      await Promise.all([first.end({ timeout: 1 }), second.end({ timeout: 1 })]);
    }
  });

  it("is unavailable when connecting takes longer than connect_timeout", async () => {
    // a listener that accepts and never speaks, like a server behind a dead network
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as net.AddressInfo;
    const stuck = postgres({ ...server.settings("postgres"), port, max: 1, connect_timeout: 1 });
    try {
      const error = await stuck`SELECT 1`.catch((e: unknown) => e);
      expect((error as { code?: string }).code).toBe("CONNECT_TIMEOUT");
      expect(storeFailureOf(error)).toBe("unavailable");
    } finally {
      await stuck.end({ timeout: 0 });
      silent.close();
    }
  });

  it("times out through callStore when the connection goes silent mid-query", async () => {
    const proxy = await startTcpProxy(server.port);
    const port = Number(new URL(proxy.url).port);
    const frozen = postgres({ ...server.settings("postgres"), port, max: 1 });
    try {
      await frozen`SELECT 1`;
      proxy.freeze();
      // postgres.js itself would wait for this answer until the OS gives up on the socket
      await expect(callStore(STORE, () => frozen`SELECT 1`)).rejects.toThrow(DependencyTimeout);
    } finally {
      await frozen.end({ timeout: 0 });
      await proxy.close();
    }
  });

  it("leaves errors the database answered on purpose alone", async () => {
    expect(await failureOf(db().execute(q`SELECT 1/0`))).toBeUndefined();
    expect(await failureOf(db().execute(q`SELEKT 1`))).toBeUndefined();
    expect(await failureOf(db().execute(q`SELECT * FROM no_such_table`))).toBeUndefined();
  });
});
