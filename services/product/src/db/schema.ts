import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  index,
  integer,
  numeric,
  pgTable,
  text,
  timestamp,
  varchar,
} from "drizzle-orm/pg-core";

/**
 * The catalogue. Prices are NUMERIC(12,2) read and written as decimal strings; ids are int8 read
 * as `bigint` so ids above 2^53 stay exact; timestamps are read as PostgreSQL's own text so a page
 * token keeps their full microsecond precision (a JS Date would cut it to milliseconds).
 *
 * Every list order has a keyset index ending in `id`, the tie-breaker, so a page is an index range
 * scan whatever the table size; each is repeated behind `category` because browsing one category
 * is the common filtered read.
 */
export const products = pgTable(
  "products",
  {
    id: bigint("id", { mode: "bigint" }).primaryKey().generatedAlwaysAsIdentity(),
    name: varchar("name", { length: 200 }).notNull(),
    description: text("description").notNull().default(""),
    price: numeric("price", { precision: 12, scale: 2 }).notNull(),
    stockQuantity: integer("stock_quantity").notNull(),
    category: varchar("category", { length: 100 }).notNull().default(""),
    imageUrl: varchar("image_url", { length: 2048 }).notNull().default(""),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "string" })
      .notNull()
      .defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "string" })
      .notNull()
      .defaultNow(),
  },
  (t) => [
    check("products_price_non_negative", sql`${t.price} >= 0`),
    check("products_stock_quantity_non_negative", sql`${t.stockQuantity} >= 0`),
    index("products_newest_idx").on(t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
    index("products_name_idx").on(t.name, t.id),
    index("products_price_idx").on(t.price, t.id),
    index("products_category_newest_idx").on(
      t.category,
      t.createdAt.desc().nullsFirst(),
      t.id.desc().nullsFirst(),
    ),
    index("products_category_name_idx").on(t.category, t.name, t.id),
    index("products_category_price_idx").on(t.category, t.price, t.id),
    index("products_stock_quantity_idx").on(t.stockQuantity),
    // Trigram GIN indexes serve ILIKE '%text%' on either column; a BitmapOr combines them.
    index("products_name_trgm_idx").using("gin", t.name.op("gin_trgm_ops")),
    index("products_description_trgm_idx").using("gin", t.description.op("gin_trgm_ops")),
  ],
);

/** A row as drizzle reads it. */
export type ProductRow = typeof products.$inferSelect;
