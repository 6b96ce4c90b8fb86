import type { PendingQuery, Row } from "postgres";
import { formatMoney } from "#shared/money";
import {
  encodePageToken,
  type ListProductsQuery,
  type ProductFilters,
  type ProductSort,
} from "../domain/list-query.js";
import type { ProductSql } from "./connection.js";

/**
 * A product as a list shows it, read straight into the response's shapes (a list is a read: it
 * bypasses the domain): the price as PostgreSQL prints NUMERIC(12,2) ("19.90", what
 * `formatMoney` writes), the times as milliseconds since the epoch, cut as a JS Date cuts them.
 */
export type ListedProduct = {
  readonly id: bigint;
  readonly name: string;
  readonly description: string;
  readonly price: string;
  readonly stockQuantity: number;
  readonly category: string;
  readonly imageUrl: string;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
};

/** One page of a product list; `nextPageToken` is "" on the last page. */
export type ProductPage = { products: ListedProduct[]; nextPageToken: string };

/** A listed row with the text of its sort key, which the next page's cursor carries. */
type PageRow = ListedProduct & { readonly sortKey: string };

/**
 * One page in keyset order (never OFFSET): a row inserted while a caller pages is either ahead of
 * its cursor or behind it, so no row is returned twice and none that existed before paging began
 * is skipped. pageSize + 1 rows tell whether another page exists without a second query.
 */
export async function listProducts(
  sql: ProductSql,
  query: ListProductsQuery,
): Promise<ProductPage> {
  const rows = await selectPage(sql, query);
  const more = rows.length > query.pageSize;
  if (more) rows.pop();
  const last = rows.at(-1);
  const nextPageToken =
    more && last ? encodePageToken(query, { key: last.sortKey, id: last.id }) : "";
  return { products: rows, nextPageToken };
}

/**
 * The SELECT of one page, unexecuted (postgres.js runs a query when awaited), so that
 * `bench/list-plans.ts` can EXPLAIN exactly what the service sends. Every value is a parameter;
 * each combination of filters and sort is one prepared statement.
 */
export function selectPage(sql: ProductSql, query: ListProductsQuery): PendingQuery<PageRow[]> {
  const order = ORDERS[query.sort];
  const filters = allOf(sql, filterConditions(sql, query.filters));
  const cursor = afterCursor(sql, query) ?? sql`TRUE`;
  // Epoch milliseconds cut toward the past, as `new Date(text)` reads PostgreSQL's microseconds.
  const columns = sql`id, name, description, price, stock_quantity AS "stockQuantity", category,
    image_url AS "imageUrl",
    floor(extract(epoch FROM created_at) * 1000)::float8 AS "createdAtMs",
    floor(extract(epoch FROM updated_at) * 1000)::float8 AS "updatedAtMs",
    ${sql.unsafe(order.key)} AS "sortKey"`;
  const page = sql`ORDER BY ${sql.unsafe(order.orderBy)} LIMIT ${query.pageSize + 1}`;
  return sql<PageRow[]>`SELECT ${columns} FROM products WHERE ${filters} AND ${cursor} ${page}`;
}

function allOf(sql: ProductSql, conditions: (PendingQuery<Row[]> | undefined)[]) {
  return conditions.reduce<PendingQuery<Row[]>>(
    (all, condition) => (condition ? sql`${all} AND ${condition}` : all),
    sql`TRUE`,
  );
}

type Order = {
  /** The sort column and its direction, for the keyset comparison. */
  column: "created_at" | "name" | "price";
  direction: "asc" | "desc";
  /** The sort key as text; PostgreSQL converts it back to the column's type exactly. */
  key: string;
  orderBy: string;
};

function order(column: Order["column"], direction: Order["direction"]): Order {
  // Timestamps as text keep their microseconds; a JS Date would cut them to milliseconds.
  const key = column === "created_at" ? "created_at::text" : column;
  return { column, direction, key, orderBy: `${column} ${direction}, id ${direction}` };
}

const KEY_TYPES: Record<Order["column"], string> = {
  created_at: "timestamptz",
  name: "varchar",
  price: "numeric",
};

// Each order is served by a keyset index (column, id), also behind category; see schema.ts.
const ORDERS: Record<ProductSort, Order> = {
  newest: order("created_at", "desc"),
  name: order("name", "asc"),
  price_asc: order("price", "asc"),
  price_desc: order("price", "desc"),
};

function afterCursor(sql: ProductSql, query: ListProductsQuery): PendingQuery<Row[]> | undefined {
  if (!query.after) return undefined;
  const { column, direction } = ORDERS[query.sort];
  const { key, id } = query.after;
  // A row comparison is one index condition on (column, id), unlike the expanded OR form. The key
  // goes as text and PostgreSQL casts it: sent as a timestamptz parameter, postgres.js would
  // pass it through a JS Date (unless drizzle rewired the pool) and lose its microseconds.
  const comparison = direction === "asc" ? ">" : "<";
  const type = KEY_TYPES[column];
  return sql`(${sql(column)}, id) ${sql.unsafe(comparison)} (${key}::text::${sql.unsafe(type)}, ${id})`;
}

function filterConditions(sql: ProductSql, filters: ProductFilters) {
  const { category, query, minPrice, maxPrice, maxStock } = filters;
  const pattern = `%${escapeLike(query)}%`;
  return [
    category === "" ? undefined : sql`category = ${category}`,
    query === "" ? undefined : sql`(name ILIKE ${pattern} OR description ILIKE ${pattern})`,
    minPrice === undefined ? undefined : sql`price >= ${formatMoney(minPrice)}`,
    maxPrice === undefined ? undefined : sql`price <= ${formatMoney(maxPrice)}`,
    maxStock === undefined ? undefined : sql`stock_quantity <= ${maxStock}`,
  ];
}

/** Makes user text match literally inside LIKE: `\`, `%` and `_` lose their meaning. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}
