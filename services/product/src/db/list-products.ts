import { formatMoney } from "#shared/money";
import { encodePageToken, type ListProductsQuery, type ProductSort } from "../domain/list-query.js";
import type { ProductSql } from "./connection.js";

/**
 * A product as a list shows it, read straight into the response's shapes (a list is a read: it
 * bypasses the domain): the price as PostgreSQL prints NUMERIC(12,2) ("19.90", what
 * `formatMoney` writes), the times as it prints timestamptz in the pool's UTC session
 * ("2026-01-02 03:04:05.123456+00", what `parseTimestamp` reads, as GetProduct's row has them).
 */
export type ListedProduct = {
  readonly id: bigint;
  readonly name: string;
  readonly description: string;
  readonly price: string;
  readonly stockQuantity: number;
  readonly category: string;
  readonly imageUrl: string;
  readonly createdAt: string;
  readonly updatedAt: string;
};

/** One page of a product list; `nextPageToken` is "" on the last page. */
export type ProductPage = { products: ListedProduct[]; nextPageToken: string };

/**
 * One page in keyset order (never OFFSET): a row inserted while a caller pages is either ahead of
 * its cursor or behind it, so no row is returned twice and none that existed before paging began
 * is skipped. pageSize + 1 rows tell whether another page exists without a second query.
 */
export async function listProducts(
  sql: ProductSql,
  query: ListProductsQuery,
): Promise<ProductPage> {
  const { text, values } = pageStatement(query);
  const rows = await sql.unsafe<ListedProduct[]>(text, values, { prepare: planOnce(query) });
  const more = rows.length > query.pageSize;
  if (more) rows.pop();
  const last = rows.at(-1);
  const key = ORDERS[query.sort].key;
  const nextPageToken = more && last ? encodePageToken(query, { key: last[key], id: last.id }) : "";
  return { products: rows, nextPageToken };
}

/**
 * Whether a page's statement is prepared, and so may run on one generic plan (made without its
 * values) after five runs. That is right when the sort index is the way whatever the values. It
 * is not for a text query, whose best plan depends on its words (a rare one is found through the
 * trigram index and sorted, a common one by walking the sort index: either plan is seconds wrong
 * for the other kind at 1 M products), nor for a price band under another sort (a narrow band is
 * found through a price index and sorted, a wide one by walking the sort index: 10–45 ms instead
 * of 0.1–0.3 ms). Those go unnamed, and PostgreSQL plans each with its values.
 */
function planOnce({ filters, sort }: ListProductsQuery): boolean {
  const band = filters.minPrice !== undefined || filters.maxPrice !== undefined;
  return filters.query === "" && (!band || sort === "price_asc" || sort === "price_desc");
}

/** A value a page's SELECT binds: text, the cursor's id, the row limit. */
type PageValue = string | bigint | number;

/** The SELECT of one page, as its text with `$n` placeholders and the values they stand for. */
export type PageStatement = { readonly text: string; readonly values: PageValue[] };

/**
 * The SELECT of one page, unexecuted, so that `bench/list-plans.ts` can EXPLAIN exactly what the
 * service sends. Every value is a parameter, and each combination of sort, filters and cursor has
 * one text, written on first use: postgres.js runs it as one prepared statement, without
 * composing the query from fragments on every call.
 */
export function pageStatement(query: ListProductsQuery): PageStatement {
  const values: PageValue[] = [];
  let shape: string = query.sort;
  for (const condition of CONDITIONS) {
    const own = condition.values(query);
    shape += own ? "+" : "-";
    if (own) values.push(...own);
  }
  values.push(query.pageSize + 1);
  let text = PAGE_TEXTS.get(shape);
  if (text === undefined) {
    text = pageText(query);
    PAGE_TEXTS.set(shape, text);
  }
  return { text, values };
}

/** SELECT texts by shape; at most 4 sorts × 2^6 condition sets. */
const PAGE_TEXTS = new Map<string, string>();

function pageText(query: ListProductsQuery): string {
  const order = ORDERS[query.sort];
  const where = ["TRUE"];
  let count = 0;
  for (const condition of CONDITIONS) {
    const own = condition.values(query);
    if (!own) continue;
    const placeholders = own.map(() => `$${++count}`);
    where.push(condition.sql(placeholders, order));
  }
  // Times as text: PostgreSQL prints them for less than it computes epoch milliseconds in NUMERIC,
  // and the text of the sort column is the next page's cursor key.
  const columns = `id, name, description, price, stock_quantity AS "stockQuantity", category,
    image_url AS "imageUrl", created_at::text AS "createdAt", updated_at::text AS "updatedAt"`;
  return `SELECT ${columns} FROM products WHERE ${where.join(" AND ")}
    ORDER BY ${order.orderBy} LIMIT $${count + 1}`;
}

type Order = {
  /** The sort column and its direction, for the keyset comparison. */
  column: "created_at" | "name" | "price";
  direction: "asc" | "desc";
  /** The listed field whose text is the sort key; PostgreSQL casts it back to the column exactly. */
  key: "createdAt" | "name" | "price";
  orderBy: string;
};

function order(column: Order["column"], direction: Order["direction"]): Order {
  // Timestamps as text keep their microseconds; a JS Date would cut them to milliseconds.
  const key = column === "created_at" ? "createdAt" : column;
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

/**
 * A condition of a page's WHERE: the values it binds for a query (undefined when the query does
 * not ask for it), and its SQL given their placeholders.
 */
type Condition = {
  values: (query: ListProductsQuery) => PageValue[] | undefined;
  sql: (placeholders: string[], order: Order) => string;
};

const CONDITIONS: readonly Condition[] = [
  {
    values: ({ filters }) => (filters.category === "" ? undefined : [filters.category]),
    sql: ([category]) => `category = ${category}`,
  },
  {
    values: ({ filters }) => (filters.query === "" ? undefined : [textPattern(filters.query)]),
    sql: ([pattern]) => `(name || E'\\n' || description) ILIKE ${pattern}`,
  },
  {
    values: ({ filters }) =>
      filters.minPrice === undefined ? undefined : [formatMoney(filters.minPrice)],
    sql: ([min]) => `price >= ${min}`,
  },
  {
    values: ({ filters }) =>
      filters.maxPrice === undefined ? undefined : [formatMoney(filters.maxPrice)],
    sql: ([max]) => `price <= ${max}`,
  },
  {
    values: ({ filters }) => (filters.maxStock === undefined ? undefined : [filters.maxStock]),
    sql: ([max]) => `stock_quantity <= ${max}`,
  },
  {
    // A row comparison is one index condition on (column, id), unlike the expanded OR form. The
    // key goes as text and PostgreSQL casts it: sent as a timestamptz parameter, postgres.js would
    // pass it through a JS Date (unless drizzle rewired the pool) and lose its microseconds.
    // "At or after the last row, but not it" rather than "after it": PostgreSQL estimates a row
    // comparison from its first column alone, and when the sort key ties (a bulk import's one
    // created_at), "created_at < key" matches nothing by its statistics while the cursor keeps
    // nearly every row; so it walked the sort index past every row a text query skips (0.2–1 s
    // at 1 M products) instead of sorting the few it finds. "<=" estimates those ties as kept.
    values: ({ after }) => (after ? [after.key, after.id] : undefined),
    sql: ([key, id], { column, direction }) => {
      const row = `(${column}, id)`;
      const last = `(${key}::text::${KEY_TYPES[column]}, ${id})`;
      return `${row} ${direction === "asc" ? ">=" : "<="} ${last} AND ${row} <> ${last}`;
    },
  },
];

/**
 * The ILIKE pattern that finds a text query in the name or the description of "name\ndescription"
 * (the trigram index's expression). No name holds a line break (`validName` refuses control
 * characters, and CHECK products_name_single_line any row written past the service), so text
 * without one is found there exactly when one column holds it; text with
 * one can only be in the description, so it must come after the joining line break.
 */
function textPattern(text: string): string {
  const pattern = `%${escapeLike(text)}%`;
  return text.includes("\n") ? `%\n${pattern}` : pattern;
}

/** Makes user text match literally inside LIKE: `\`, `%` and `_` lose their meaning. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}
