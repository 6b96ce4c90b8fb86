import { hash } from "node:crypto";
import { z } from "zod";
import { InvalidArgument } from "#shared/errors";
import { type Cents, formatMoney, parseMoney } from "#shared/money";
import { MAX_STOCK_QUANTITY, validText } from "./product.js";

/** The orders a product list can have; each ends with `id` as the tie-breaker. */
export const PRODUCT_SORTS = ["name", "price_asc", "price_desc", "newest"] as const;
/** One of PRODUCT_SORTS; "newest" when the caller names none. */
export type ProductSort = (typeof PRODUCT_SORTS)[number];

/** Page size when the caller sends 0. */
export const DEFAULT_PAGE_SIZE = 50;
/** The largest page a caller may ask for. */
export const MAX_PAGE_SIZE = 500;

/** List parameters as a caller sends them (proto field meanings; "" / 0 mean "not set"). */
export type ListProductsInput = {
  pageSize?: number | undefined;
  pageToken?: string | undefined;
  category?: string | undefined;
  query?: string | undefined;
  minPrice?: string | undefined;
  maxPrice?: string | undefined;
  maxStock?: number | undefined;
  sort?: string | undefined;
};

/** Which products a list shows; `category` and `query` are "" for "any". */
export type ProductFilters = {
  readonly category: string;
  readonly query: string;
  readonly minPrice?: Cents | undefined;
  readonly maxPrice?: Cents | undefined;
  readonly maxStock?: number | undefined;
};

/**
 * Where the previous page ended: the last row's sort key as PostgreSQL printed it (timestamp
 * text for "newest", name, or price decimal) and its id.
 */
export type PageCursor = { readonly key: string; readonly id: bigint };

/** A validated list request; `after` is absent on the first page. */
export type ListProductsQuery = {
  readonly pageSize: number;
  readonly sort: ProductSort;
  readonly filters: ProductFilters;
  readonly after?: PageCursor | undefined;
};

/**
 * Validates and normalises list parameters: page_size 0 → 50, else 1–500; sort "" → "newest";
 * category (trimmed) ≤ 100; query (trimmed) ≤ 200; min/max price decimals with min ≤ max;
 * max_stock 0–2147483647; page_token produced by `encodePageToken` for the same sort and filters.
 * Throws InvalidArgument naming the field.
 */
export function parseListProductsQuery(input: ListProductsInput): ListProductsQuery {
  const sort = parseSort(input.sort ?? "");
  const filters = parseFilters(input);
  const token = input.pageToken ?? "";
  return {
    pageSize: parsePageSize(input.pageSize ?? 0),
    sort,
    filters,
    after: token === "" ? undefined : decodePageToken(token, sort, filters),
  };
}

/** An opaque token for the page after `last` that only this query's sort and filters accept. */
export function encodePageToken(query: ListProductsQuery, last: PageCursor): string {
  const token: PageToken = {
    s: query.sort,
    k: last.key,
    i: last.id.toString(),
    f: fingerprint(query.sort, query.filters),
  };
  return Buffer.from(JSON.stringify(token)).toString("base64url");
}

function parsePageSize(value: number): number {
  if (value === 0) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(value) || value < 1 || value > MAX_PAGE_SIZE) {
    throw new InvalidArgument("page_size", `must be from 1 to ${MAX_PAGE_SIZE} (0 means 50)`);
  }
  return value;
}

function parseSort(value: string): ProductSort {
  if (value === "") return "newest";
  const sort = PRODUCT_SORTS.find((known) => known === value);
  if (!sort) throw new InvalidArgument("sort", `must be one of ${PRODUCT_SORTS.join(", ")}`);
  return sort;
}

function parseFilters(input: ListProductsInput): ProductFilters {
  const minPrice = parseOptionalPrice("min_price", input.minPrice);
  const maxPrice = parseOptionalPrice("max_price", input.maxPrice);
  if (minPrice !== undefined && maxPrice !== undefined && minPrice > maxPrice) {
    throw new InvalidArgument("min_price", "must not be greater than max_price");
  }
  const maxStock = input.maxStock;
  if (maxStock !== undefined && !(Number.isInteger(maxStock) && maxStock >= 0)) {
    throw new InvalidArgument("max_stock", "must be a non-negative integer");
  }
  return {
    category: validText("category", (input.category ?? "").trim(), 100, true),
    query: validText("query", (input.query ?? "").trim(), 200, false),
    minPrice,
    maxPrice,
    maxStock: maxStock === undefined ? undefined : Math.min(maxStock, MAX_STOCK_QUANTITY),
  };
}

function parseOptionalPrice(field: string, value: string | undefined): Cents | undefined {
  if (value === undefined) return undefined;
  const price = parseMoney(value);
  if (price === undefined) {
    throw new InvalidArgument(
      field,
      "must be a decimal from 0 to 9999999999.99, at most 2 decimals",
    );
  }
  return price;
}

/** Short, stable digest of everything that decides which rows a page holds and in what order. */
function fingerprint(sort: ProductSort, filters: ProductFilters): string {
  const { category, query, minPrice, maxPrice, maxStock } = filters;
  const canonical = JSON.stringify([
    sort,
    category,
    query,
    minPrice === undefined ? null : formatMoney(minPrice),
    maxPrice === undefined ? null : formatMoney(maxPrice),
    maxStock ?? null,
  ]);
  // The one-shot hash: a Hash object per call cost three times as much for the same digest.
  return hash("sha256", canonical, "base64url").slice(0, 16);
}

const pageTokenSchema = z.object({
  s: z.enum(PRODUCT_SORTS),
  k: z.string().max(1000),
  i: z.string().regex(/^\d{1,19}$/),
  f: z.string(),
});
type PageToken = z.infer<typeof pageTokenSchema>;

/** Accepted shapes of the sort key, so a forged token fails here rather than in SQL. */
const KEY_SHAPES: Record<ProductSort, (key: string) => boolean> = {
  newest: (key) => /^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d{1,6})?([+-]\d\d(:?\d\d)?|Z)$/.test(key),
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL cannot be sent to PostgreSQL
  name: (key) => [...key].length <= 200 && !/\u0000/.test(key),
  price_asc: (key) => parseMoney(key) !== undefined,
  price_desc: (key) => parseMoney(key) !== undefined,
};

function decodePageToken(text: string, sort: ProductSort, filters: ProductFilters): PageCursor {
  const token = readPageToken(text);
  if (!token || !KEY_SHAPES[token.s](token.k) || BigInt(token.i) > 9_223_372_036_854_775_807n) {
    throw new InvalidArgument("page_token", "is malformed");
  }
  if (token.s !== sort || token.f !== fingerprint(sort, filters)) {
    throw new InvalidArgument("page_token", "does not match the query");
  }
  return { key: token.k, id: BigInt(token.i) };
}

function readPageToken(text: string): PageToken | undefined {
  if (text.length > 2000 || !/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  try {
    const parsed = pageTokenSchema.safeParse(JSON.parse(Buffer.from(text, "base64url").toString()));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
