import { randomUUID } from "node:crypto";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { ProductSql } from "../src/db/connection.js";
import { listProducts, type ProductPage } from "../src/db/list-products.js";
import { createPageCache } from "../src/db/page-cache.js";
import { registerPageCacheMetrics } from "../src/db/page-cache-metrics.js";
import { createProductRepository, type ProductRepository } from "../src/db/product-repository.js";
import { type ListProductsInput, parseListProductsQuery } from "../src/domain/list-query.js";
import { validateNewProduct } from "../src/domain/product.js";
import { openTestDatabase } from "./support/database.js";

// Rows are changed with SQL, past this process, as another replica of the service would: a
// kept page may only be answered while its rows are what it was read from.
let sql: ProductSql;
let repo: ProductRepository;

beforeAll(async () => {
  sql = await openTestDatabase();
  repo = createProductRepository(sql);
});
afterAll(() => sql?.end());

/**
 * A category of `count` products priced 1.00, 2.00, …, and a lister of it with its own cache,
 * which keeps a page found changed again from its next ask unless told otherwise.
 */
async function shelf(count: number, readsAfterChange = 0, db: ProductSql = sql) {
  const category = `cache-${randomUUID()}`;
  const ids: bigint[] = [];
  for (let n = 1; n <= count; n++) {
    const fields = validateNewProduct({ name: `Thing ${n}`, price: `${n}.00`, category });
    ids.push((await repo.create(fields)).id);
  }
  const cache = createPageCache<ProductPage>({ products: 100, readsAfterChange });
  const list = (input: ListProductsInput = {}) =>
    listProducts(db, parseListProductsQuery({ category, sort: "price_asc", ...input }), cache);
  const uncached = (input: ListProductsInput = {}) =>
    listProducts(sql, parseListProductsQuery({ category, sort: "price_asc", ...input }));
  return { category, ids, list, uncached, cache };
}

/**
 * The pool, but once `hold` is given a promise, every answer of a page's versions statement (run
 * at once, so read at the time it was sent) waits for that promise before it is returned.
 */
function holdingVersions(pool: ProductSql) {
  let held: Promise<void> | undefined;
  let probes = 0;
  const unsafe = async (...args: Parameters<ProductSql["unsafe"]>) => {
    const rows = await pool.unsafe(...args);
    if (args[0].includes("string_agg")) {
      probes++;
      await held;
    }
    return rows;
  };
  const db = new Proxy(pool, {
    get: (target, name, receiver) =>
      name === "unsafe" ? unsafe : Reflect.get(target, name, receiver),
  });
  return {
    db,
    hold: (until: Promise<void>) => {
      held = until;
    },
    probes: () => probes,
  };
}

/** Asks for a page until the cache answers it: the second ask keeps it, the third is served. */
async function kept(list: () => Promise<ProductPage>): Promise<ProductPage> {
  await list();
  const second = await list();
  expect(second.kept).toBe(true);
  expect(await list()).toBe(second);
  return second;
}

describe("listing from the page cache", () => {
  it("answers a page asked for again with the page kept, equal to reading it", async () => {
    const { list, uncached } = await shelf(3);
    const page = await kept(() => list({ pageSize: 2 }));
    const { kept: _, ...read } = page;
    expect(read).toEqual(await uncached({ pageSize: 2 }));
  });

  it("reads a page again once a row on it changed", async () => {
    const { ids, list } = await shelf(3);
    await kept(() => list({ pageSize: 2 }));
    await sql`UPDATE products SET description = 'changed' WHERE id = ${ids[1] as bigint}`;
    const now = await list({ pageSize: 2 });
    expect(now.kept).toBeUndefined();
    expect(now.products.map((p) => p.description)).toEqual(["", "changed"]);
    expect((await kept(() => list({ pageSize: 2 }))).products).toEqual(now.products);
  });

  it("reads a page found changed without keeping it for its next few asks", async () => {
    const { ids, list } = await shelf(2, 2);
    await kept(() => list());
    await sql`UPDATE products SET description = 'changed' WHERE id = ${ids[0] as bigint}`;
    const asks = [];
    for (let ask = 0; ask < 5; ask++) asks.push((await list()).kept ?? false);
    expect(asks).toEqual([false, false, false, true, true]);
  });

  it("reads a page again when a row written without any change is a new version", async () => {
    const { ids, list } = await shelf(2);
    const page = await kept(() => list());
    await sql`UPDATE products SET stock_quantity = stock_quantity WHERE id = ${ids[0] as bigint}`;
    const now = await list();
    expect(now.kept).toBeUndefined();
    expect(now.products).toEqual(page.products);
  });

  it("reads a page again once a row moved into it, or out of it", async () => {
    const { category, ids, list } = await shelf(3);
    await kept(() => list({ pageSize: 2 }));
    const [cheap] = await sql<[{ id: bigint }]>`
      INSERT INTO products (name, price, stock_quantity, category)
      VALUES ('Cheap', 0.50, 1, ${category}) RETURNING id`;
    expect((await list({ pageSize: 2 })).products.map((p) => p.id)).toEqual([cheap?.id, ids[0]]);
    await kept(() => list({ pageSize: 2 }));
    await sql`UPDATE products SET price = 9.00 WHERE id = ${ids[0] as bigint}`;
    expect((await list({ pageSize: 2 })).products.map((p) => p.id)).toEqual([cheap?.id, ids[1]]);
    await kept(() => list({ pageSize: 2 }));
    await sql`DELETE FROM products WHERE id = ${cheap?.id as bigint}`;
    expect((await list({ pageSize: 2 })).products.map((p) => p.id)).toEqual([ids[1], ids[2]]);
  });

  it("ends the list once the row after the page is gone, though the page's rows are not", async () => {
    const { ids, list } = await shelf(3);
    const page = await kept(() => list({ pageSize: 2 }));
    expect(page.nextPageToken).not.toBe("");
    await sql`DELETE FROM products WHERE id = ${ids[2] as bigint}`;
    const now = await list({ pageSize: 2 });
    expect(now.products).toEqual(page.products);
    expect(now.nextPageToken).toBe("");
  });

  it("keeps text queries and later pages too, each under its own values", async () => {
    const { ids, list } = await shelf(4);
    const first = await list({ pageSize: 2 });
    const second = await kept(() => list({ pageSize: 2, pageToken: first.nextPageToken }));
    expect(second.products.map((p) => p.id)).toEqual([ids[2], ids[3]]);
    const found = await kept(() => list({ query: "thing 3" }));
    expect(found.products.map((p) => p.id)).toEqual([ids[2]]);
    await sql`UPDATE products SET name = 'Other' WHERE id = ${ids[2] as bigint}`;
    expect((await list({ query: "thing 3" })).products).toEqual([]);
  });

  it("counts its answers and its products for /metrics, each once however often scraped", async () => {
    const { ids, list, cache } = await shelf(2);
    const registry = new Registry();
    registerPageCacheMetrics(registry, cache);
    await kept(() => list());
    const keptNow = await registry.metrics();
    expect(keptNow).toContain("shop_product_page_cache_products 2");
    await sql`UPDATE products SET description = 'changed' WHERE id = ${ids[0] as bigint}`;
    await list();
    for (let scrape = 0; scrape < 2; scrape++) {
      const text = await registry.metrics();
      expect(text).toContain('shop_product_list_pages_total{answer="kept"} 1');
      expect(text).toContain('shop_product_list_pages_total{answer="changed"} 1');
      expect(text).toContain('shop_product_list_pages_total{answer="read"} 2');
      expect(text).toContain("shop_product_page_cache_products 0");
    }
  });

  it("answers an ask made after a write from a probe sent after it, though an earlier one is still out", async () => {
    const versions = holdingVersions(sql);
    const { ids, list, cache } = await shelf(2, 0, versions.db);
    const page = await kept(() => list());
    let release = () => {};
    versions.hold(new Promise((resolve) => (release = resolve)));
    const probes = versions.probes();
    const before = list();
    await vi.waitFor(() => expect(versions.probes()).toBe(probes + 1));
    // Its probe has read the rows; the write commits while that answer is held back.
    await sql`UPDATE products SET description = 'after' WHERE id = ${ids[0] as bigint}`;
    const after = [list(), list()];
    release();
    expect(await before).toBe(page);
    for (const answer of await Promise.all(after)) {
      expect(answer.kept).toBeUndefined();
      expect(answer.products.map((p) => p.description)).toEqual(["after", ""]);
    }
    // The two asks made meanwhile shared one probe.
    expect(versions.probes()).toBe(probes + 2);
    expect(cache.stats()).toMatchObject({ checked: 4, probes: 3 });
  });
});
