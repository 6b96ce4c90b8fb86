import { randomUUID } from "node:crypto";
import mysql from "mysql2/promise";
import { afterAll, describe, expect, it } from "vitest";
import { connectPaymentDatabase } from "../src/db/connection.js";
import { migratePaymentDatabase } from "../src/db/migrate.js";
import { ensurePaymentDatabaseUser } from "../src/db/setup.js";
import { testDatabaseConfig } from "./support/database.js";

// A throw-away account and database of this suite, removed at the end.
const user = `pay_setup_${randomUUID().slice(0, 8)}`;
const database = `payment_service_setup_${randomUUID().slice(0, 8)}`;
const admin = {
  host: testDatabaseConfig.host,
  port: testDatabaseConfig.port,
  user: testDatabaseConfig.user,
  password: testDatabaseConfig.password,
};

afterAll(async () => {
  const connection = await mysql.createConnection(admin);
  await connection.query(`DROP DATABASE IF EXISTS \`${database}\``);
  await connection.query(`DROP USER IF EXISTS '${user}'@'%', '${user}'@'localhost'`);
  await connection.end();
});

describe("the payment database set-up", () => {
  it("creates an account that can create, migrate and use a payment database, idempotently", async () => {
    const setup = {
      host: admin.host,
      port: admin.port,
      adminUser: admin.user,
      adminPassword: admin.password,
      user,
      password: "secret",
    };
    await ensurePaymentDatabaseUser(setup);
    await ensurePaymentDatabaseUser(setup);
    const config = { host: admin.host, port: admin.port, user, password: "secret", database };
    // Several starters at once: the named lock lets each migration run once.
    await Promise.all([1, 2, 3].map(() => migratePaymentDatabase(config)));
    const pool = connectPaymentDatabase(config);
    try {
      const [rows] = await pool.query("SELECT COUNT(*) AS n FROM __drizzle_migrations");
      expect((rows as { n: string }[])[0]?.n).toBe("1");
    } finally {
      await pool.end();
    }
  });

  it("grants nothing outside the payment databases", async () => {
    const connection = await mysql.createConnection(admin);
    try {
      const [grants] = await connection.query(`SHOW GRANTS FOR '${user}'@'%'`);
      const lines = (grants as Record<string, string>[]).map((row) => Object.values(row)[0]);
      expect(lines.some((line) => line?.includes("`payment\\_service%`.*"))).toBe(true);
      expect(lines.some((line) => line?.includes("ON *.*") && !line.includes("USAGE"))).toBe(false);
    } finally {
      await connection.end();
    }
  });
});
