import { service } from "#services";
import { localDatabase } from "../../scripts/dev-stores.js";
import {
  connectProductDatabase,
  type ProductDatabaseConfig,
} from "../../services/product/src/db/connection.js";

/** The bench's default catalogue size (issue 2: "seeds 100k products"); `--products` changes it. */
export const PRODUCT_COUNT = 100_000;

/**
 * The seeded catalogue's categories, `category-0` … `category-39`, product i in `category-(i % 40)`;
 * its prices run from 0.99 to 100.98 (product i: ((i % 10000) + 99) / 100), the same spread in
 * every category.
 */
export const CATEGORY_COUNT = 40;

/**
 * The product bench database for a catalogue of `count` products: the usual one at
 * PRODUCT_COUNT, `<name>_<count>` otherwise, so catalogues of different sizes never mix.
 */
export function catalogueDatabaseName(count: number): string {
  const base = localDatabase(service("product"), "bench").database;
  return count === PRODUCT_COUNT ? base : `${base}_${count}`;
}

/**
 * The product service's bench database, beside (never inside) the dev and test databases:
 * `product_service_bench` unless `PRODUCT_BENCH_DB_*` say otherwise (scripts/dev-stores.ts).
 */
export function benchDatabase(): ProductDatabaseConfig {
  return localDatabase(service("product"), "bench");
}

/**
 * Tops the (migrated) bench database up to `count` products with one
 * INSERT … SELECT generate_series (seconds, not minutes). Returns the id every row of the bench
 * requests: the middle product, given a stock no basket line can exhaust (AddItem rows).
 *
 * Every run then vacuums the table, as autovacuum keeps it in production: the PostgreSQL these
 * machines run has autovacuum off, so a catalogue would otherwise never have its visibility map
 * set (relallvisible 0 at 1 M products, seeded or not) and would carry every earlier run's dead
 * rows (the checkout rows' stock updates). It takes about 1 s at 1 M products, 0.4 s after that.
 */
export async function prepareCatalogue(
  config: ProductDatabaseConfig,
  count: number,
  log: (line: string) => void,
): Promise<bigint> {
  const sql = connectProductDatabase({ ...config, maxConnections: 1 });
  try {
    const [counted] = await sql<{ count: bigint }[]>`SELECT count(*) AS count FROM products`;
    const missing = count - Number(counted?.count ?? 0);
    if (missing > 0) {
      log(`seeding ${missing} products into ${config.database}`);
      await sql`
        INSERT INTO products (name, description, price, stock_quantity, category, image_url)
        SELECT 'Bench product ' || i,
               'Seeded by bench/run.ts; product number ' || i || ' of the benchmark catalogue.',
               ((i % 10000) + 99) / 100.0,
               i % 1000,
               'category-' || (i % ${CATEGORY_COUNT}::int),
               'https://images.example.com/products/' || i || '.png'
        FROM generate_series(1, ${missing}::int) AS i`;
    }
    const [hot] = await sql<{ id: bigint }[]>`
      SELECT id FROM products ORDER BY id OFFSET ${Math.floor(count / 2) - 1} LIMIT 1`;
    if (!hot) throw new Error("the bench catalogue is empty after seeding");
    await sql`UPDATE products SET stock_quantity = 2147483647 WHERE id = ${hot.id}`;
    await sql`VACUUM (ANALYZE) products`;
    return hot.id;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** How many lines every checkout's basket has (issue 7: "3-line baskets"). */
export const CHECKOUT_LINES = 3;

/**
 * The products every checkout buys: the CHECKOUT_LINES products after the middle one, each given
 * a stock of 10^9 at every run, so that no reservation of a bench run can exhaust it.
 */
export async function prepareCheckoutProducts(
  config: ProductDatabaseConfig,
  count: number,
): Promise<bigint[]> {
  const sql = connectProductDatabase({ ...config, maxConnections: 1 });
  try {
    const rows = await sql<{ id: bigint }[]>`
      UPDATE products SET stock_quantity = 1000000000
      WHERE id IN (SELECT id FROM products ORDER BY id
                   OFFSET ${Math.floor(count / 2)} LIMIT ${CHECKOUT_LINES})
      RETURNING id`;
    if (rows.length < CHECKOUT_LINES)
      throw new Error("the bench catalogue lacks checkout products");
    return rows.map((row) => row.id).sort((a, b) => (a < b ? -1 : 1));
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** One gRPC length-prefixed message frame: flag 0 (uncompressed), 4-byte big-endian length. */
export function grpcFrame(message: Uint8Array): Buffer {
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}
