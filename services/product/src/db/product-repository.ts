import { eq, ne, sql } from "drizzle-orm";
import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { NotFound } from "#shared/errors";
import { formatMoney, parseMoney } from "#shared/money";
import type { ListProductsQuery } from "../domain/list-query.js";
import type { Product, ProductChanges, ProductFields } from "../domain/product.js";
import type { ProductSql } from "./connection.js";
import { listProducts, type ProductPage, type ProductPageCache } from "./list-products.js";
import { type ProductRow, products } from "./schema.js";
import { refuseWhileReserved } from "./stock-lines.js";
import { createTextWords } from "./text-words.js";
import { parseTimestamp } from "./timestamp.js";

/** A category in use and how many products carry it. */
export type CategoryCount = { name: string; productCount: bigint };

/**
 * The product table behind plain functions. Takes the service's postgres.js pool (from
 * `connectProductDatabase`) and builds its own drizzle instance over it. Note that drizzle makes
 * that pool return date/time columns as text (it replaces postgres.js's date parsers), which is
 * what keeps timestamps exact to the microsecond for page tokens.
 */
export function createProductRepository(client: ProductSql, pageCache?: ProductPageCache) {
  const db = drizzle({ client });
  const textWords = createTextWords(client);
  const byId = (id: bigint) => eq(products.id, id);
  // GetProduct is the hot read (the gateway, the basket and checkout all ask for products one by
  // one): drizzle writes its SELECT once, and postgres.js runs it as a prepared statement, without
  // drizzle's per-call placeholder filling, tracing spans and row mapping.
  const selectById = db
    .select()
    .from(products)
    .where(eq(products.id, sql.placeholder("id")))
    .toSQL().sql;

  return {
    /** Inserts a product and returns it with its id and timestamps. */
    async create(fields: ProductFields): Promise<Product> {
      const [row] = await db.insert(products).values(toColumns(fields)).returning();
      return toProduct(required(row, "INSERT … RETURNING gave no row"));
    },

    /** The product with this id; NotFound("product", id) when there is none. */
    async get(id: bigint): Promise<Product> {
      const [row] = await client.unsafe<ColumnRow[]>(selectById, [id], { prepare: true });
      if (!row) throw new NotFound("product", id);
      return toProduct(fromColumns(row));
    },

    /** Changes the fields present in `changes` and sets updated_at; NotFound when missing. */
    async update(id: bigint, changes: ProductChanges): Promise<Product> {
      const [row] = await db
        .update(products)
        .set({ ...toChangedColumns(changes), updatedAt: sql`now()` })
        .where(byId(id))
        .returning();
      if (!row) throw new NotFound("product", id);
      return toProduct(row);
    },

    /**
     * Removes the product; NotFound when there is none, FailedPrecondition while some of its
     * stock is reserved for an unfinished payment (finished reservation lines stay as history).
     */
    delete: (id: bigint): Promise<void> =>
      db.transaction(async (tx) => {
        const [found] = await tx
          .select({ id: products.id })
          .from(products)
          .where(byId(id))
          .for("update");
        if (!found) throw new NotFound("product", id);
        await refuseWhileReserved(tx, id);
        await tx.delete(products).where(byId(id));
      }),

    /** One page of products in keyset order (see `listProducts`). */
    list: (query: ListProductsQuery): Promise<ProductPage> =>
      listProducts(client, query, pageCache, textWords),

    /** Every non-empty category with its product count, ordered by name. */
    categories: (): Promise<CategoryCount[]> => countCategories(db),
  };
}

/** The repository's shape, for callers that want to name it (and for test fakes). */
export type ProductRepository = ReturnType<typeof createProductRepository>;

/** Readiness probe: resolves when the database answers, rejects otherwise. */
export async function checkDatabase(client: ProductSql): Promise<void> {
  await client`SELECT 1`;
}

// Counting reads every row (or index entry): ~40–60 ms at 100k rows; cache at the edge if hot.
function countCategories(db: PostgresJsDatabase): Promise<CategoryCount[]> {
  return db
    .select({ name: products.category, productCount: sql<bigint>`count(*)`.mapWith(BigInt) })
    .from(products)
    .where(ne(products.category, ""))
    .groupBy(products.category)
    .orderBy(products.category);
}

/** Picks the writable columns by name, so extra properties of the argument never reach SQL. */
function toColumns(fields: ProductFields) {
  const { name, stockQuantity } = fields;
  return { ...toChangedColumns(fields), name, stockQuantity, price: formatMoney(fields.price) };
}

function toChangedColumns(changes: ProductChanges) {
  // Absent fields stay undefined, which drizzle leaves out of the SET list.
  return {
    name: changes.name,
    description: changes.description,
    price: changes.price === undefined ? undefined : formatMoney(changes.price),
    stockQuantity: changes.stockQuantity,
    category: changes.category,
    imageUrl: changes.imageUrl,
  };
}

/** A products row as postgres.js reads it: by column name, date/time columns as text (see above). */
type ColumnRow = {
  id: bigint;
  name: string;
  description: string;
  price: string;
  stock_quantity: number;
  category: string;
  image_url: string;
  created_at: string;
  updated_at: string;
};

function fromColumns(row: ColumnRow): ProductRow {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    price: row.price,
    stockQuantity: row.stock_quantity,
    category: row.category,
    imageUrl: row.image_url,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toProduct(row: ProductRow): Product {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    price: required(parseMoney(row.price), `price "${row.price}" of product ${row.id}`),
    stockQuantity: row.stockQuantity,
    category: row.category,
    imageUrl: row.imageUrl,
    createdAt: parseTimestamp(row.createdAt),
    updatedAt: parseTimestamp(row.updatedAt),
  };
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`unexpected database answer: ${what}`);
  return value;
}
