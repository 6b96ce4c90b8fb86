import net from "node:net";
import mysql from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { DependencyTimeout, DependencyUnavailable } from "#shared/errors";
import { callStore, storeFailureOf } from "#shared/store-errors";
import { type PrivateDatabase, startPrivateMariadb } from "#shared-test/private-servers";
import { startTcpProxy } from "#shared-test/tcp-proxy";

// A private MariaDB of this file, stopped and started by the tests, reached with a mysql2 pool
// as the payment service will be.
let server: PrivateDatabase;
let pool: mysql.Pool;
const failureOf = (work: Promise<unknown>) => work.then(() => "ok", storeFailureOf);
const STORE = { name: "test database (MariaDB)", deadlineMs: 2_000 };

beforeAll(async () => {
  server = await startPrivateMariadb();
  pool = mysql.createPool({
    ...server.settings("mysql"),
    connectionLimit: 3,
    connectTimeout: 3_000,
  });
});
afterAll(async () => {
  await pool?.end().catch(() => {});
  await server?.close();
});

describe("store failures of MariaDB (mysql2)", () => {
  it("are unavailable while the server is stopped, and the pool recovers when it returns", async () => {
    await pool.query("SELECT 1");
    const running = pool.query("SELECT SLEEP(30)");
    running.catch(() => {});
    await vi.waitFor(async () => {
      const [rows] = await pool.query(
        "SELECT COUNT(*) AS n FROM information_schema.processlist WHERE info = 'SELECT SLEEP(30)'",
      );
      expect(rows).toEqual([{ n: 1 }]);
    });
    await server.stop();
    const lost = await running.catch((error: unknown) => error);
    expect((lost as { code?: string }).code).toBe("PROTOCOL_CONNECTION_LOST");
    expect(storeFailureOf(lost)).toBe("unavailable");
    const refused = await pool.query("SELECT 1").catch((error: unknown) => error);
    expect((refused as { code?: string }).code).toBe("ECONNREFUSED");
    expect(storeFailureOf(refused)).toBe("unavailable");
    await expect(callStore(STORE, () => pool.execute("SELECT 1"))).rejects.toThrow(
      DependencyUnavailable,
    );

    await server.start();
    await vi.waitFor(() => pool.query("SELECT 1"), { timeout: 15_000, interval: 200 });
  });

  it("is unavailable on a lone connection the server closed", async () => {
    const connection = await mysql.createConnection(server.settings("mysql"));
    connection.on("error", () => {}); // the loss is reported here too
    try {
      const [[row]] = await connection.query<mysql.RowDataPacket[]>("SELECT CONNECTION_ID() AS id");
      await pool.query("KILL ?", [row?.id]);
      await vi.waitFor(async () => {
        expect(await failureOf(connection.query("SELECT 1"))).toBe("unavailable");
      });
    } finally {
      connection.destroy();
    }
  });

  it("is unavailable when the server refuses more connections", async () => {
    await pool.query("CREATE USER IF NOT EXISTS capped@'%' WITH MAX_USER_CONNECTIONS 1");
    const capped = { ...server.settings("mysql"), user: "capped", database: undefined };
    const first = await mysql.createConnection(capped);
    try {
      const refused = await mysql.createConnection(capped).catch((error: unknown) => error);
      expect((refused as { code?: string }).code).toBe("ER_USER_LIMIT_REACHED");
      expect(storeFailureOf(refused)).toBe("unavailable");
    } finally {
      await first.end();
    }
  });

  it("is unavailable when the server is at max_connections", async () => {
    await pool.query("CREATE USER IF NOT EXISTS plain@'%'");
    await pool.query("SET GLOBAL max_connections = 10"); // MariaDB's least
    const plain = { ...server.settings("mysql"), user: "plain", database: undefined };
    const open: mysql.Connection[] = [];
    try {
      let refused: unknown;
      while (refused === undefined && open.length <= 10) {
        await mysql.createConnection(plain).then(
          (connection) => open.push(connection),
          (error: unknown) => {
            refused = error;
          },
        );
      }
      expect((refused as { code?: string }).code).toBe("ER_CON_COUNT_ERROR");
      expect(storeFailureOf(refused)).toBe("unavailable");
    } finally {
      await Promise.all(open.map((connection) => connection.end()));
      await pool.query("SET GLOBAL max_connections = 151");
    }
  });

  it("is unavailable when connecting takes longer than connectTimeout", async () => {
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const settings = { ...server.settings("mysql"), port, connectTimeout: 1_000 };
      const error = await mysql.createConnection(settings).catch((e: unknown) => e);
      expect((error as { code?: string }).code).toBe("ETIMEDOUT");
      expect(storeFailureOf(error)).toBe("unavailable");
    } finally {
      silent.close();
    }
  });

  it("times out when the connection goes silent mid-query", async () => {
    const proxy = await startTcpProxy(server.port);
    const port = Number(new URL(proxy.url).port);
    const frozen = mysql.createPool({ ...server.settings("mysql"), port, connectionLimit: 2 });
    try {
      await Promise.all([frozen.query("SELECT SLEEP(0.2)"), frozen.query("SELECT SLEEP(0.2)")]);
      proxy.freeze();
      // with its own per-query timeout mysql2 gives up; without, only callStore's deadline does
      expect(await failureOf(frozen.query({ sql: "SELECT 1", timeout: 500 }))).toBe("timeout");
      await expect(callStore(STORE, () => frozen.query("SELECT 1"))).rejects.toThrow(
        DependencyTimeout,
      );
    } finally {
      frozen.end().catch(() => {});
      await proxy.close();
    }
  });

  it("is unavailable once the pool is closed", async () => {
    const closing = mysql.createPool(server.settings("mysql"));
    await closing.end();
    expect(await failureOf(closing.query("SELECT 1"))).toBe("unavailable");
  });

  it("leaves errors the database answered on purpose alone", async () => {
    expect(await failureOf(pool.query("SELEKT 1"))).toBeUndefined();
    expect(await failureOf(pool.query("SELECT * FROM no_such_table"))).toBeUndefined();
    await pool.query("CREATE TABLE IF NOT EXISTS once (id INT PRIMARY KEY)");
    await pool.query("INSERT IGNORE INTO once VALUES (1)");
    expect(await failureOf(pool.query("INSERT INTO once VALUES (1)"))).toBeUndefined();
  });
});
