import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  index,
  integer,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  varchar,
} from "drizzle-orm/pg-core";

/**
 * The catalogue. Prices are NUMERIC(12,2) read and written as decimal strings; ids are int8 read
 * as `bigint` so ids above 2^53 stay exact; timestamps are read as PostgreSQL's own text so a page
 * token keeps their full microsecond precision (a JS Date would cut it to milliseconds).
 *
 * Every list order has a keyset index on (sort column, `id`), the tie-breaker, so a page is an
 * index range scan whatever the table size; each is repeated behind `category` because browsing
 * one category is the common filtered read. Each also carries `stock_quantity` as its last key, so
 * a low-stock list that walks one checks stock in the index and visits the table only for rows it
 * returns (stock changes already update every index: stock_quantity has its own).
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
    // The text filter matches "name \n description" (see list-products.ts): a line break inside a
    // name would let text match across the end of the name.
    check("products_name_single_line", sql`strpos(${t.name}, chr(10)) = 0`),
    index("products_newest_stock_idx").on(
      t.createdAt.desc().nullsFirst(),
      t.id.desc().nullsFirst(),
      t.stockQuantity,
    ),
    index("products_name_stock_idx").on(t.name, t.id, t.stockQuantity),
    index("products_price_stock_idx").on(t.price, t.id, t.stockQuantity),
    index("products_category_newest_stock_idx").on(
      t.category,
      t.createdAt.desc().nullsFirst(),
      t.id.desc().nullsFirst(),
      t.stockQuantity,
    ),
    index("products_category_name_stock_idx").on(t.category, t.name, t.id, t.stockQuantity),
    index("products_category_price_stock_idx").on(t.category, t.price, t.id, t.stockQuantity),
    index("products_stock_quantity_idx").on(t.stockQuantity),
    // One trigram GIN index over the name and the description joined by a line break (which no
    // name holds) serves ILIKE '%text%' on either (see list-products.ts): one scan of the common
    // trigrams' posting lists instead of two, and one estimate of the match count instead of two.
    index("products_text_trgm_idx").using(
      "gin",
      sql`(${t.name} || E'\\n' || ${t.description}) gin_trgm_ops`,
    ),
  ],
);

/** A row as drizzle reads it. */
export type ProductRow = typeof products.$inferSelect;

/**
 * Stock held for a payment: one row per (reservation, product). `quantity` left
 * `products.stock_quantity` when the row was inserted as `reserved`; it goes back on `released`
 * (reserved → released) and `restocked` (committed → restocked), and stays out on `committed`.
 *
 * `product_id` has no foreign key on purpose: rows outlive a deleted product as history, and
 * deleting a product is refused while one of its lines is still `reserved` (see
 * `refuseWhileReserved`). The (status, expires_at) index serves the sweeper; (product_id) that
 * refusal.
 */
export const stockReservations = pgTable(
  "stock_reservations",
  {
    reservationId: text("reservation_id").notNull(),
    productId: bigint("product_id", { mode: "bigint" }).notNull(),
    quantity: integer("quantity").notNull(),
    // LINE_STATUSES of domain/stock.ts, spelled out: drizzle-kit loads this file on its own,
    // without the `#shared/…` imports the domain module brings.
    status: text("status", { enum: ["reserved", "committed", "released", "restocked"] }).notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.reservationId, t.productId] }),
    check("stock_reservations_quantity_positive", sql`${t.quantity} > 0`),
    check(
      "stock_reservations_status_known",
      sql`${t.status} IN ('reserved', 'committed', 'released', 'restocked')`,
    ),
    check("stock_reservations_id_length", sql`char_length(${t.reservationId}) BETWEEN 1 AND 64`),
    index("stock_reservations_status_expires_idx").on(t.status, t.expiresAt),
    index("stock_reservations_product_idx").on(t.productId),
  ],
);

/** A reservation line as drizzle reads it. */
export type StockReservationRow = typeof stockReservations.$inferSelect;

/**
 * Ids of the stock events already applied. Inserted in the same transaction as the event's
 * effect, so a redelivered event finds its id here and changes nothing. Ids older than the
 * retention are pruned by `processed_at` (see `startProcessedEventsPruner`).
 */
export const processedEvents = pgTable(
  "processed_events",
  {
    eventId: text("event_id").primaryKey(),
    processedAt: timestamp("processed_at", { withTimezone: true, mode: "date" })
      .notNull()
      .defaultNow(),
  },
  (t) => [index("processed_events_processed_at_idx").on(t.processedAt)],
);
