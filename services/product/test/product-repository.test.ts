import { randomInt, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidArgument, NotFound } from "#shared/errors";
import { formatMoney } from "#shared/money";
import { connectProductDatabase, type ProductSql } from "../src/db/connection.js";
import { listProducts, pageStatement } from "../src/db/list-products.js";
import { findMigrationsFolder, migrateProductDatabase } from "../src/db/migrate.js";
import {
  checkDatabase,
  createProductRepository,
  type ProductRepository,
} from "../src/db/product-repository.js";
import { timestampMillis } from "../src/db/timestamp.js";
import { type ListProductsInput, parseListProductsQuery } from "../src/domain/list-query.js";
import { type NewProductInput, type Product, validateNewProduct } from "../src/domain/product.js";
import { testDatabaseConfig } from "./support/database.js";

// Every test works inside its own category, so tests (and other files) never see each other's rows.
const config = testDatabaseConfig;
let sql: ProductSql;
let repo: ProductRepository;

beforeAll(async () => {
  await migrateProductDatabase(config);
  sql = connectProductDatabase(config);
  repo = createProductRepository(sql);
});
afterAll(() => sql?.end());

/** How many migrations the journal lists: the number a fresh database must have applied. */
function journalEntries(): number {
  const journal = join(findMigrationsFolder(), "meta", "_journal.json");
  return (JSON.parse(readFileSync(journal, "utf8")) as { entries: unknown[] }).entries.length;
}

const newCategory = () => `cat-${randomUUID()}`;

function add(category: string, input: Partial<NewProductInput> = {}): Promise<Product> {
  return repo.create(validateNewProduct({ name: "Thing", price: "1.00", category, ...input }));
}

/** Parses like the handler does; async so a refused parameter is a rejection, as in RPCs. */
async function list(input: ListProductsInput) {
  return repo.list(parseListProductsQuery(input));
}

/** Every id of the list, following page tokens to the end. */
async function listAllIds(input: ListProductsInput): Promise<bigint[]> {
  const ids: bigint[] = [];
  let pageToken = "";
  do {
    const page = await list({ ...input, pageToken });
    ids.push(...page.products.map((product) => product.id));
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return ids;
}

describe("migrations", () => {
  it("create a missing database and apply each migration once under concurrent callers", async () => {
    const database = `product_service_test_${randomUUID().replaceAll("-", "")}`;
    try {
      await Promise.all(
        Array.from({ length: 4 }, () => migrateProductDatabase({ ...config, database })),
      );
      const fresh = connectProductDatabase({ ...config, database, maxConnections: 1 });
      const applied = await fresh`SELECT count(*) AS n FROM drizzle.__drizzle_migrations`;
      const [trgm] = await fresh`SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'`;
      await fresh.end();
      expect(applied[0]?.n).toBe(BigInt(journalEntries()));
      expect(trgm).toBeDefined();
    } finally {
      await sql.unsafe(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    }
  });

  it("are found from the compiled location under dist/ as well as from source", () => {
    const source = findMigrationsFolder();
    const root = source.slice(0, source.indexOf("/services/product/migrations"));
    expect(findMigrationsFolder(`${root}/dist/services/product/src/db`)).toBe(source);
  });
});

describe("the product repository", () => {
  it("answers the readiness check", async () => {
    await expect(checkDatabase(sql)).resolves.toBeUndefined();
  });

  it("creates a product and reads it back", async () => {
    const category = newCategory();
    const created = await add(category, { name: "Kettle", description: "Boils", stockQuantity: 7 });
    expect(created).toMatchObject({
      name: "Kettle",
      description: "Boils",
      stockQuantity: 7,
      category,
    });
    expect(created.createdAt).toBeInstanceOf(Date);
    expect(await repo.get(created.id)).toEqual(created);
  });

  it.each([
    ["0.10", "0.10"],
    ["9999999999.99", "9999999999.99"],
    ["19.9", "19.90"],
    ["0", "0.00"],
  ])("stores price %s exactly as %s", async (price, stored) => {
    const product = await add(newCategory(), { price });
    expect(formatMoney((await repo.get(product.id)).price)).toBe(stored);
    const [row] = await sql`SELECT price::text AS price FROM products WHERE id = ${product.id}`;
    expect(row?.price).toBe(stored);
  });

  it("keeps ids above 2^53 exact", async () => {
    const id = 2n ** 53n + BigInt(randomInt(1, 2 ** 47)) * 2n + 1n;
    const category = newCategory();
    await sql`INSERT INTO products (id, name, price, stock_quantity, category)
      OVERRIDING SYSTEM VALUE VALUES (${id}, 'Big', 1, 1, ${category})`;
    expect((await repo.get(id)).id).toBe(id);
    expect((await list({ category })).products.map((p) => p.id)).toEqual([id]);
  });

  it("changes only the fields given and moves updated_at", async () => {
    const created = await add(newCategory(), {
      name: "Old",
      description: "Keep me",
      stockQuantity: 2,
    });
    const updated = await repo.update(created.id, { name: "New", price: 250n as Product["price"] });
    expect(updated).toMatchObject({ name: "New", description: "Keep me", stockQuantity: 2 });
    expect(formatMoney(updated.price)).toBe("2.50");
    expect(updated.createdAt).toEqual(created.createdAt);
    expect(updated.updatedAt.getTime()).toBeGreaterThanOrEqual(created.updatedAt.getTime());
    expect(await repo.get(created.id)).toEqual(updated);
  });

  it("deletes a product, after which it is not found", async () => {
    const created = await add(newCategory());
    await repo.delete(created.id);
    await expect(repo.get(created.id)).rejects.toThrow(NotFound);
  });

  it.each([
    ["get", (id: bigint) => repo.get(id)],
    ["update", (id: bigint) => repo.update(id, { stockQuantity: 1 })],
    ["delete", (id: bigint) => repo.delete(id)],
  ])("reports NotFound from %s of an unknown id", async (_, operation) => {
    const missing = 9_223_372_036_854_775_807n;
    await expect(operation(missing)).rejects.toThrow(new NotFound("product", missing).message);
  });
});

describe("listing products", () => {
  it("filters by exact category", async () => {
    const category = newCategory();
    const mine = await add(category);
    await add(`${category}-other`);
    expect((await list({ category })).products.map((p) => p.id)).toEqual([mine.id]);
  });

  it("finds text in name or description, ignoring case", async () => {
    const category = newCategory();
    const byName = await add(category, { name: "Blue KETTLE" });
    const byDescription = await add(category, { description: "a kettle for tea" });
    await add(category, { name: "Mug" });
    const found = await list({ category, query: "Kettle", sort: "name" });
    expect(found.products.map((p) => p.id).sort()).toEqual([byName.id, byDescription.id].sort());
  });

  it("finds text in one column only, never across the end of the name", async () => {
    // The trigram index holds "name\ndescription"; a match must not straddle that line break.
    const category = newCategory();
    const spanning = await add(category, { name: "Blue", description: "kettle\nfor tea" });
    const whole = await add(category, { name: "Big blue kettle", description: "for\ntea" });
    for (const [query, ids] of [
      ["blue kettle", [whole.id]],
      ["blue\nkettle", []],
      ["e\nk", []],
      ["kettle\nfor", [spanning.id]],
      ["r\ntea", [whole.id]],
      ["TEA", [whole.id, spanning.id]],
    ] as const) {
      const found = await list({ category, query, sort: "name" });
      expect(found.products.map((p) => p.id)).toEqual(ids);
    }
  });

  it("finds a text of several words only as written, whichever word the index looks up", async () => {
    // The index looks up the rarest word alone (text-words.ts); the whole text is still required.
    const category = newCategory();
    const exact = await add(category, { name: "Steel kettle 170" });
    const longer = await add(category, { name: "Steel kettle 1700 XL" });
    const reversed = await add(category, { name: "Steel 170 kettle" });
    const described = await add(category, { name: "Kettle", description: "170 steel" });
    const cotton = await add(category, { name: "100% cotton kettle cosy" });
    const lookalike = await add(category, { name: "1000 cotton kettle cosy" });
    for (const [query, ids] of [
      ["kettle 170", [exact.id, longer.id]],
      ["STEEL KETTLE 17", [exact.id, longer.id]],
      ["170 kettle", [reversed.id]],
      ["170 steel", [described.id]],
      ["kettle\n170", []],
      ["100% cotton", [cotton.id]],
      ["cotton kettle", [cotton.id, lookalike.id]],
      ["steel cotton", []],
    ] as const) {
      const found = await list({ category, query });
      expect(found.products.map((p) => p.id).sort()).toEqual([...ids].sort());
    }
  });

  it("keeps a line break out of names also when a row is written past the service", async () => {
    const category = newCategory();
    const insert = (name: string) =>
      sql`INSERT INTO products (name, price, stock_quantity, category)
        VALUES (${name}, 1, 1, ${category})`;
    await expect(insert("Blue\nkettle")).rejects.toThrow(/products_name_single_line/);
    await insert("Blue kettle");
    expect((await list({ category, query: "blue" })).products.map((p) => p.name)).toEqual([
      "Blue kettle",
    ]);
  });

  it.each([
    ["%", "100% cotton", "1000 cotton"],
    ["_", "snake_case", "snakeXcase"],
    ["\\", "back\\slash", "backslash"],
  ])("matches %s in the query literally", async (special, literal, lookalike) => {
    const category = newCategory();
    const wanted = await add(category, { name: literal });
    await add(category, { name: lookalike });
    const query = literal.slice(literal.indexOf(special) - 1, literal.indexOf(special) + 2);
    expect((await list({ category, query })).products.map((p) => p.id)).toEqual([wanted.id]);
  });

  it("filters by price range, inclusive at both ends", async () => {
    const category = newCategory();
    const prices = ["0.99", "1.00", "5.50", "10.00", "10.01"];
    for (const price of prices) await add(category, { price });
    const found = await list({ category, minPrice: "1", maxPrice: "10", sort: "price_asc" });
    expect(found.products.map((p) => p.price)).toEqual(["1.00", "5.50", "10.00"]);
  });

  it("lists low stock with max_stock", async () => {
    const category = newCategory();
    for (const stockQuantity of [0, 3, 4, 100]) await add(category, { stockQuantity });
    const found = await list({ category, maxStock: 3 });
    expect(found.products.map((p) => p.stockQuantity).sort()).toEqual([0, 3]);
  });

  it.each<[string, (a: Product, b: Product) => number]>([
    ["name", (a, b) => compare(a.name, b.name) || compare(a.id, b.id)],
    ["price_asc", (a, b) => compare(a.price, b.price) || compare(a.id, b.id)],
    ["price_desc", (a, b) => compare(b.price, a.price) || compare(b.id, a.id)],
    ["newest", (a, b) => compare(b.createdAt, a.createdAt) || compare(b.id, a.id)],
  ])("sorts by %s with id breaking ties, across pages", async (sort, order) => {
    const category = newCategory();
    const made: Product[] = [];
    for (const [name, price] of [
      ["b", "2"],
      ["a", "2"],
      ["c", "1"],
      ["a", "3"],
      ["b", "1"],
    ]) {
      made.push(await add(category, { name, price }));
    }
    const expected = [...made].sort(order).map((p) => p.id);
    expect(await listAllIds({ category, sort, pageSize: 2 })).toEqual(expected);
  });

  it.each<[string, (a: Product, b: Product) => number]>([
    ["name", (a, b) => compare(a.name, b.name) || compare(a.id, b.id)],
    ["price_desc", (a, b) => compare(b.price, a.price) || compare(b.id, a.id)],
    ["newest", (a, b) => compare(b.createdAt, a.createdAt) || compare(b.id, a.id)],
  ])("pages a low-stock list sorted by %s, each low-stock row once", async (sort, order) => {
    const category = newCategory();
    const made: Product[] = [];
    for (const [name, price, stockQuantity] of [
      ["b", "2", 0],
      ["a", "2", 3],
      ["c", "1", 50],
      ["a", "3", 1],
      ["b", "1", 2],
    ] as const) {
      made.push(await add(category, { name, price, stockQuantity }));
    }
    const expected = made.filter((p) => p.stockQuantity <= 3).sort(order);
    const ids = await listAllIds({ category, sort, maxStock: 3, pageSize: 2 });
    expect(ids).toEqual(expected.map((p) => p.id));
  });

  it.each<[string, (a: bigint, b: bigint) => number]>([
    ["newest", (a, b) => compare(b, a)],
    ["name", compare],
    ["price_asc", compare],
    ["price_desc", (a, b) => compare(b, a)],
  ])(
    "pages a text query sorted by %s through rows whose keys all tie, each once",
    async (sort, byId) => {
      // One created_at for all, as a bulk import writes: the cursor's id alone orders these rows.
      const category = newCategory();
      const made = await Promise.all(
        Array.from({ length: 5 }, () => add(category, { name: "Tie kettle" })),
      );
      await sql`UPDATE products SET created_at = '2026-05-06 07:08:09.123456+00'
        WHERE category = ${category}`;
      const ids = await listAllIds({ category, query: "kettle", sort, pageSize: 2 });
      expect(ids).toEqual(made.map((p) => p.id).sort(byId));
    },
  );

  it("pages by 50 when page_size is 0 and ends with an empty token", async () => {
    const category = newCategory();
    await Promise.all(Array.from({ length: 51 }, (_, i) => add(category, { name: `p${i}` })));
    const first = await list({ category, pageSize: 0 });
    expect(first.products).toHaveLength(50);
    const second = await list({ category, pageSize: 0, pageToken: first.nextPageToken });
    expect(second.products).toHaveLength(1);
    expect(second.nextPageToken).toBe("");
  });

  it("refuses a page token from another category", async () => {
    const category = newCategory();
    await Promise.all([add(category), add(category)]);
    const { nextPageToken } = await list({ category, pageSize: 1 });
    await expect(list({ category: newCategory(), pageToken: nextPageToken })).rejects.toThrow(
      new InvalidArgument("page_token", "does not match the query").message,
    );
  });

  it.each(["newest", "name", "price_asc", "price_desc"])(
    "sorted by %s, returns every existing row once while rows are being inserted",
    async (sort) => {
      const category = newCategory();
      const before = new Set<bigint>();
      for (let i = 0; i < 24; i++) {
        const product = await add(category, {
          name: `n${randomInt(100)}`,
          price: `${randomInt(50)}`,
        });
        before.add(product.id);
      }
      const seen: bigint[] = [];
      let pageToken = "";
      do {
        const insert = () =>
          add(category, { name: `n${randomInt(100)}`, price: `${randomInt(50)}` });
        const [page] = await Promise.all([
          list({ category, sort, pageSize: 5, pageToken }),
          insert(),
          insert(),
        ]);
        seen.push(...page.products.map((p) => p.id));
        pageToken = page.nextPageToken;
      } while (pageToken !== "");
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.filter((id) => before.has(id)).sort(compare)).toEqual([...before].sort(compare));
    },
  );
});

describe("list times", () => {
  it("read from PostgreSQL's text are its epoch milliseconds cut toward the past", async () => {
    // What the list SELECT computed in SQL before it read the text instead.
    const times = [
      "2026-03-04 05:06:07.999999+00",
      "2026-03-04 05:06:08.0005+00",
      "2026-03-04 05:06:08+00",
      "1970-01-01 00:00:00+00",
      "1969-12-31 23:59:59.9999+00",
      "1969-12-31 23:59:58.5+00",
      "1900-02-28 12:00:00.000001+00",
      "0001-01-01 00:00:00+00",
      "9999-12-31 23:59:59.999999+00",
      "2026-07-01 12:00:00.123+02",
    ];
    const rows = await sql<{ ms: number; text: string }[]>`
      SELECT floor(extract(epoch FROM t) * 1000)::float8 AS ms, t::text AS text
      FROM unnest(string_to_array(${times.join(",")}, ',')::timestamptz[]) AS t`;
    expect(rows).toHaveLength(times.length);
    for (const { ms, text } of rows) expect([text, timestampMillis(text)]).toEqual([text, ms]);
  });
});

describe("listing products on a pool drizzle never touched", () => {
  it("pages by newest through rows of one microsecond, none skipped or repeated", async () => {
    // drizzle rewires a pool's timestamp serializers; a list must not lean on that.
    const plain = connectProductDatabase(config);
    try {
      const category = newCategory();
      const made = await Promise.all([add(category), add(category), add(category)]);
      await sql`UPDATE products SET created_at = '2026-05-06 07:08:09.123456+00'
        WHERE category = ${category}`;
      const ids: bigint[] = [];
      let pageToken = "";
      do {
        const query = parseListProductsQuery({ category, pageSize: 1, pageToken });
        const page = await listProducts(plain, query);
        ids.push(...page.products.map((product) => product.id));
        pageToken = page.nextPageToken;
      } while (pageToken !== "");
      expect(ids).toEqual(made.map((p) => p.id).sort((a, b) => compare(b, a)));
    } finally {
      await plain.end();
    }
  });
});

describe("categories", () => {
  it("counts products per category, ordered by name, without the empty one", async () => {
    const [first, second] = [newCategory(), newCategory()].sort();
    await Promise.all([add(first ?? ""), add(first ?? ""), add(second ?? ""), add("")]);
    const categories = await repo.categories();
    const names = categories.map((c) => c.name);
    expect(names).toEqual([...names].sort());
    expect(names).not.toContain("");
    expect(categories.filter((c) => c.name === first || c.name === second)).toEqual([
      { name: first, productCount: 2n },
      { name: second, productCount: 1n },
    ]);
  });
});

function compare<T extends string | bigint | Date>(a: T, b: T): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

describe("which list statements are prepared", () => {
  it("prepares a page whose sort index always serves it, and plans text and other-sort price bands per call", async () => {
    // A prepared statement may run on a generic plan after five runs; see planOnce.
    const one = connectProductDatabase({ ...config, maxConnections: 1 });
    try {
      const category = newCategory();
      const cases: [ListProductsInput, boolean][] = [
        [{ category }, true],
        [{ category, minPrice: "1", sort: "price_asc" }, true],
        [{ category, maxPrice: "9", sort: "price_desc" }, true],
        [{ category, maxStock: 3, sort: "name" }, true],
        [{ category, query: "kettle" }, false],
        [{ category, query: "kettle", sort: "price_asc" }, false],
        [{ category, minPrice: "1", sort: "name" }, false],
        [{ category, maxPrice: "9", sort: "newest" }, false],
      ];
      for (const [input, prepared] of cases) {
        const { text } = pageStatement(parseListProductsQuery(input));
        await listProducts(one, parseListProductsQuery(input));
        const [found] = await one<{ count: number }[]>`
          SELECT count(*)::int AS count FROM pg_prepared_statements WHERE statement = ${text}`;
        expect([input, found?.count]).toEqual([input, prepared ? 1 : 0]);
      }
    } finally {
      await one.end();
    }
  });
});
