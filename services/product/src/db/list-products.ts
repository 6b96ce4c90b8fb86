import { formatMoney } from "#shared/money";
import { encodePageToken, type ListProductsQuery, type ProductSort } from "../domain/list-query.js";
import type { ProductSql } from "./connection.js";
import type { PageCache } from "./page-cache.js";
import { escapeLike, PRODUCT_TEXT, type TextWords } from "./text-words.js";

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

/**
 * One page of a product list; `nextPageToken` is "" on the last page. `kept` when the page cache
 * keeps it: this same object may be the answer again, so it is never changed once returned.
 */
export type ProductPage = {
  readonly products: readonly ListedProduct[];
  readonly nextPageToken: string;
  readonly kept?: true;
};

/** Pages asked for again, kept with their rows' versions (see `createPageCache`). */
export type ProductPageCache = PageCache<ProductPage>;

/**
 * One page in keyset order (never OFFSET): a row inserted while a caller pages is either ahead of
 * its cursor or behind it, so no row is returned twice and none that existed before paging began
 * is skipped. pageSize + 1 rows tell whether another page exists without a second query.
 *
 * With a cache, a page asked for again is kept with its rows' versions: `xmin`, new on every
 * UPDATE by whichever process, with the id, new for every INSERT. Answering from it takes one
 * statement, the same SELECT returning only its rows' ids and versions as one string (callers
 * asking for the page at once share it: see `versionsNow`); the kept page is the answer when
 * that string is the one it was read with, as then the same rows, unchanged, would be read
 * (their order and the next page's cursor follow from them). Otherwise
 * the page is read whole, as without a cache, and is not kept again for its next few asks.
 *
 * With `words`, a text query of several words is looked up in the index by its rarest word and
 * checked whole on the rows found (see `TextWords`).
 */
export async function listProducts(
  sql: ProductSql,
  query: ListProductsQuery,
  cache?: ProductPageCache,
  words?: TextWords,
): Promise<ProductPage> {
  const lookup = words && query.filters.query !== "" ? await words(query.filters.query) : undefined;
  const { shape, values } = pageParameters(query, lookup);
  const prepare = planOnce(query);
  const read = (form: Form) =>
    sql.unsafe<PageRow[]>(formText(form, shape, query, lookup), values, { prepare });
  if (cache) {
    const key = `${shape}\0${values.join("\0")}`;
    const plan = cache.plan(key, query.pageSize);
    if (plan.kind === "keep") return keepPage(cache, key, query, await read("versioned"));
    if (plan.kind === "kept") {
      const probe = async () => (await read("versions"))[0]?.versions ?? null;
      const now = await cache.versionsNow(key, probe);
      if (now === plan.versions) return plan.page;
      cache.changed(key, query.pageSize);
    }
  }
  return toPage(query, await read("page"));
}

/** A row a page's SELECT returns: a product, its version when asked, or the versions of all. */
type PageRow = ListedProduct & { readonly version?: string; readonly versions?: string | null };

/** The page of rows read with their versions, kept under `key` unless it is empty. */
function keepPage(
  cache: ProductPageCache,
  key: string,
  query: ListProductsQuery,
  rows: PageRow[],
): ProductPage {
  const versions = versionsOf(rows);
  const page = toPage(
    query,
    rows.map(({ version, ...product }) => product),
  );
  if (page.products.length === 0) return page;
  const kept = { ...page, kept: true } as const;
  cache.keep(key, versions, kept, page.products.length);
  return kept;
}

/** The page of `rows`, the pageSize + 1st of which (if read) is taken off to tell there is more. */
function toPage(query: ListProductsQuery, rows: ListedProduct[]): ProductPage {
  const more = rows.length > query.pageSize;
  if (more) rows.pop();
  const last = rows.at(-1);
  const key = ORDERS[query.sort].key;
  const nextPageToken = more && last ? encodePageToken(query, { key: last[key], id: last.id }) : "";
  return { products: rows, nextPageToken };
}

/** The rows' ids and versions as the "versions" form of the SELECT writes them. */
function versionsOf(rows: readonly PageRow[]): string {
  return [...rows]
    .sort((x, y) => (x.id < y.id ? -1 : 1))
    .map(({ id, version }) => `${id}:${version}`)
    .join(",");
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

/**
 * The SELECT of one page, as its text with `$n` placeholders and the values they stand for;
 * `shape` names its sort and which conditions it has.
 */
export type PageStatement = {
  readonly shape: string;
  readonly text: string;
  readonly values: PageValue[];
};

/**
 * The SELECT of one page, unexecuted, so that `bench/list-plans.ts` can EXPLAIN exactly what the
 * service sends (`lookup`: the word of the text query the index looks up, as `TextWords` chose).
 * Every value is a parameter, and each combination of sort, filters and cursor has one text,
 * written on first use: postgres.js runs it as one prepared statement, without composing the
 * query from fragments on every call.
 */
export function pageStatement(query: ListProductsQuery, lookup?: string): PageStatement {
  const { shape, values } = pageParameters(query, lookup);
  return { shape, text: formText("page", shape, query, lookup), values };
}

/** A page's shape (its sort and which conditions it has) and the values its SELECT binds. */
function pageParameters(
  query: ListProductsQuery,
  lookup: string | undefined,
): Omit<PageStatement, "text"> {
  const values: PageValue[] = [];
  let shape: string = query.sort;
  for (const condition of CONDITIONS) {
    const own = condition.values(query, lookup);
    shape += own ? "+" : "-";
    if (own) values.push(...own);
  }
  values.push(query.pageSize + 1);
  return { shape, values };
}

/**
 * What a page's SELECT returns: its products (`page`), with their versions too (`versioned`), or
 * only one string of its rows' ids and versions, ordered by id (`versions`).
 */
type Form = "page" | "versioned" | "versions";

// Times as text: PostgreSQL prints them for less than it computes epoch milliseconds in NUMERIC,
// and the text of the sort column is the next page's cursor key.
const COLUMNS = `id, name, description, price, stock_quantity AS "stockQuantity", category,
    image_url AS "imageUrl", created_at::text AS "createdAt", updated_at::text AS "updatedAt"`;
const VERSION = "xmin::text AS version";

/** SELECT texts by form and shape; at most 3 forms × 4 sorts × 2^7 condition sets. */
const TEXTS = new Map<string, string>();

function formText(
  form: Form,
  shape: string,
  query: ListProductsQuery,
  lookup: string | undefined,
): string {
  const name = `${form} ${shape}`;
  let text = TEXTS.get(name);
  if (text === undefined) {
    const select = (columns: string) => selectPage(query, lookup, columns);
    if (form === "page") text = select(COLUMNS);
    else if (form === "versioned") text = select(`${COLUMNS}, ${VERSION}`);
    else
      text = `SELECT string_agg(id::text || ':' || version, ',' ORDER BY id) AS versions
        FROM (${select(`id, ${VERSION}`)}) page`;
    TEXTS.set(name, text);
  }
  return text;
}

function selectPage(query: ListProductsQuery, lookup: string | undefined, columns: string): string {
  const order = ORDERS[query.sort];
  const where = ["TRUE"];
  let count = 0;
  for (const condition of CONDITIONS) {
    const own = condition.values(query, lookup);
    if (!own) continue;
    const placeholders = own.map(() => `$${++count}`);
    where.push(condition.sql(placeholders, order));
  }
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
  values: (query: ListProductsQuery, lookup: string | undefined) => PageValue[] | undefined;
  sql: (placeholders: string[], order: Order) => string;
};

const CONDITIONS: readonly Condition[] = [
  {
    values: ({ filters }) => (filters.category === "" ? undefined : [filters.category]),
    sql: ([category]) => `category = ${category}`,
  },
  {
    // The text, or the word of it the trigram index looks up (see text-words.ts).
    values: ({ filters }, lookup) => {
      if (filters.query === "") return undefined;
      return [lookup === undefined ? textPattern(filters.query) : `%${escapeLike(lookup)}%`];
    },
    sql: ([pattern]) => `${PRODUCT_TEXT} ILIKE ${pattern}`,
  },
  {
    // The whole text, on the rows the word found. The same string (neither column is null) in a
    // form the index is not built on, so PostgreSQL checks it on those rows rather than adding
    // its trigrams to the index search.
    values: ({ filters }, lookup) =>
      lookup === undefined ? undefined : [textPattern(filters.query)],
    sql: ([pattern]) => `concat_ws(E'\\n', name, description) ILIKE ${pattern}`,
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
