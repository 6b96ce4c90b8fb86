import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import { afterAll, beforeAll, expect, vi } from "vitest";
import { connectProductDatabase, type ProductSql } from "../../src/db/connection.js";
import { createProductRepository } from "../../src/db/product-repository.js";
import { products } from "../../src/db/schema.js";
import { createStockRepository } from "../../src/db/stock-repository.js";
import { validateNewProduct } from "../../src/domain/product.js";
import { openTestDatabase, testDatabaseConfig } from "./database.js";

/** An hour from now: a reservation that no sweep in the suite will touch. */
export const inAnHour = () => new Date(Date.now() + 60 * 60 * 1000);

/** A fresh reservation id (as a payment id would be), unique across runs and parallel files. */
export const newReservationId = () => `pay-${randomUUID()}`;

/** Run `count` calls of `call` at once and settle them all. */
export const concurrently = <T>(count: number, call: (index: number) => Promise<T>) =>
  Promise.allSettled(Array.from({ length: count }, (_, index) => call(index)));

/**
 * Repositories over the test database plus helpers that create products and read their stock
 * straight from the table, so assertions never depend on the code under test.
 */
export function stockFixture(sql: ProductSql) {
  const catalogue = createProductRepository(sql);
  const db = drizzle({ client: sql });
  return {
    stock: createStockRepository(sql),
    catalogue,
    /** A new product with `stockQuantity` units; returns its id. */
    async newProduct(stockQuantity: number): Promise<bigint> {
      const fields = validateNewProduct({ name: "Stocked", price: "1.00", stockQuantity });
      return (await catalogue.create(fields)).id;
    },
    /** The product's stock_quantity as the table holds it. */
    async stockOf(id: bigint): Promise<number> {
      const [row] = await db
        .select({ stock: products.stockQuantity })
        .from(products)
        .where(eq(products.id, id));
      if (!row) throw new Error(`product ${id} is gone`);
      return row.stock;
    },
  };
}

/**
 * A pool of `connections` sessions that pg_stat_activity shows under a name of its own, so a test
 * can count how many of them wait on a lock (see `whileLocked`). End it after the test.
 */
export function namedPool(connections: number) {
  const applicationName = `stock-race-${randomUUID()}`;
  const pool = connectProductDatabase({
    ...testDatabaseConfig,
    applicationName,
    maxConnections: connections,
  });
  return { pool, applicationName, stock: createStockRepository(pool) };
}

/** What `stockFixture` returns, with the pool it works on. */
export type StockFixture = ReturnType<typeof stockFixture> & { sql: ProductSql };

/**
 * Opens the migrated test database before the calling file's tests and closes it after them.
 * The returned fixture is filled in by then: use it inside tests and hooks, not at load time.
 */
export function useStockFixture(): StockFixture {
  const fixture = {} as StockFixture;
  beforeAll(async () => {
    const sql = await openTestDatabase();
    Object.assign(fixture, stockFixture(sql), { sql });
  });
  afterAll(() => fixture.sql?.end());
  return fixture;
}

/**
 * Makes racing calls really meet: holds `productId`'s row lock in a transaction of its own, runs
 * `start` (which should fire calls through `pool`, a pool named `applicationName`), waits until
 * `waiters` sessions of that pool are blocked on a lock, then lets go and returns what `start`
 * returned. Waits for the database to report the pile-up, never for a fixed time.
 */
export async function whileLocked<T>(
  sql: ProductSql,
  productId: bigint,
  applicationName: string,
  waiters: number,
  start: () => T,
): Promise<T> {
  const locked = Promise.withResolvers<void>();
  const released = Promise.withResolvers<void>();
  const holder = sql.begin(async (tx) => {
    await tx`SELECT 1 FROM products WHERE id = ${productId} FOR UPDATE`;
    locked.resolve();
    await released.promise;
  });
  await Promise.race([locked.promise, holder]);
  const started = start();
  try {
    await vi.waitFor(
      async () => {
        const [row] = await sql`
          SELECT count(*) AS n FROM pg_stat_activity
          WHERE application_name = ${applicationName} AND wait_event_type = 'Lock'`;
        expect(row?.n).toBe(BigInt(waiters));
      },
      { timeout: 20_000, interval: 20 },
    );
  } finally {
    released.resolve();
    await holder;
  }
  return started;
}
