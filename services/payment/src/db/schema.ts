import { sql } from "drizzle-orm";
import {
  bigint,
  char,
  check,
  customType,
  datetime,
  decimal,
  index,
  int,
  json,
  mysqlTable,
  primaryKey,
  text,
  uniqueIndex,
  varchar,
} from "drizzle-orm/mysql-core";

/**
 * Text compared byte for byte, trailing spaces included: user ids, payment ids and idempotency
 * keys must never match case- or pad-insensitively ("Alice" is not "alice", "bob " is not "bob"),
 * or one user could read another's payments or replay another's key.
 */
const exactText = (length: number) =>
  customType<{ data: string; driverData: string }>({
    dataType: () => `varchar(${length}) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin`,
  });
const exactId = customType<{ data: string; driverData: string }>({
  dataType: () => "char(36) CHARACTER SET ascii COLLATE ascii_bin",
});

/** Exact money: DECIMAL(12,2), read and written as decimal strings. */
const money = (name: string) => decimal(name, { precision: 12, scale: 2 });
/** Millisecond UTC timestamps, read as JS Dates. */
const instant = (name: string) => datetime(name, { mode: "date", fsp: 3 });

/**
 * One checkout. `status` is the state machine's state (domain/payment.ts); `refunded_amount` is
 * the sum of the payment's `refunds`, kept on the row so the refund rule is checked under the
 * row lock. Keyset indexes end in `id`, the tie-breaker of every list order.
 */
export const payments = mysqlTable(
  "payments",
  {
    id: exactId("id").primaryKey(),
    userId: exactText(128)("user_id").notNull(),
    basketId: varchar("basket_id", { length: 64 }).notNull(),
    amount: money("amount").notNull(),
    currency: char("currency", { length: 3 }).notNull(),
    status: varchar("status", { length: 16 }).notNull(),
    method: varchar("method", { length: 50 }).notNull(),
    provider: varchar("provider", { length: 50 }).notNull(),
    providerId: varchar("provider_id", { length: 128 }).notNull().default(""),
    description: varchar("description", { length: 500 }).notNull().default(""),
    metadata: json("metadata").$type<Record<string, string>>().notNull(),
    failureReason: varchar("failure_reason", { length: 500 }).notNull().default(""),
    refundedAmount: money("refunded_amount").notNull().default("0.00"),
    idempotencyKey: exactText(128)("idempotency_key"),
    createdAt: instant("created_at").notNull(),
    updatedAt: instant("updated_at").notNull(),
    processedAt: instant("processed_at"),
    expiresAt: instant("expires_at").notNull(),
  },
  (t) => [
    // The refund rule again, where no code path can bypass it.
    check("payments_refunded_within_amount", sql`${t.refundedAmount} BETWEEN 0 AND ${t.amount}`),
    // NULL keys never collide, so payments without a key are unconstrained.
    uniqueIndex("payments_user_idempotency_key").on(t.userId, t.idempotencyKey),
    index("payments_newest_idx").on(t.createdAt, t.id),
    index("payments_user_newest_idx").on(t.userId, t.createdAt, t.id),
    index("payments_status_newest_idx").on(t.status, t.createdAt, t.id),
    index("payments_status_expiry_idx").on(t.status, t.expiresAt),
  ],
);

/** The basket lines of a payment, priced when the payment was created. */
export const paymentItems = mysqlTable(
  "payment_items",
  {
    id: exactId("id").primaryKey(),
    paymentId: exactId("payment_id")
      .notNull()
      .references(() => payments.id),
    productId: bigint("product_id", { mode: "bigint" }).notNull(),
    name: varchar("name", { length: 200 }).notNull(),
    quantity: int("quantity").notNull(),
    price: money("price").notNull(),
    subtotal: money("subtotal").notNull(),
    category: varchar("category", { length: 100 }).notNull().default(""),
    createdAt: instant("created_at").notNull(),
  },
  (t) => [
    check("payment_items_quantity_positive", sql`${t.quantity} > 0`),
    index("payment_items_payment_idx").on(t.paymentId, t.productId),
  ],
);

/** Money given back on a COMPLETED payment; their sum is `payments.refunded_amount`. */
export const refunds = mysqlTable(
  "refunds",
  {
    id: exactId("id").primaryKey(),
    paymentId: exactId("payment_id")
      .notNull()
      .references(() => payments.id),
    amount: money("amount").notNull(),
    reason: varchar("reason", { length: 500 }).notNull().default(""),
    providerId: varchar("provider_id", { length: 128 }).notNull().default(""),
    createdAt: instant("created_at").notNull(),
  },
  (t) => [
    check("refunds_amount_positive", sql`${t.amount} > 0`),
    index("refunds_payment_idx").on(t.paymentId, t.createdAt),
  ],
);

/**
 * Events waiting to be published, written in the same transaction as the state change they
 * describe. `id` gives the publishing order; `payload` is the event message's proto JSON.
 */
export const outbox = mysqlTable(
  "outbox",
  {
    id: bigint("id", { mode: "bigint", unsigned: true }).autoincrement(),
    eventId: exactId("event_id").notNull(),
    topic: varchar("topic", { length: 100 }).notNull(),
    messageKey: varchar("message_key", { length: 200 }).notNull(),
    eventType: varchar("event_type", { length: 200 }).notNull(),
    payload: text("payload").notNull(),
    createdAt: instant("created_at").notNull(),
    publishedAt: instant("published_at"),
    attempts: int("attempts").notNull().default(0),
    lastError: varchar("last_error", { length: 1000 }),
  },
  (t) => [
    primaryKey({ columns: [t.id] }),
    uniqueIndex("outbox_event_id").on(t.eventId),
    index("outbox_unpublished_idx").on(t.publishedAt, t.id),
  ],
);

export type PaymentRow = typeof payments.$inferSelect;
export type PaymentItemRow = typeof paymentItems.$inferSelect;
export type RefundRow = typeof refunds.$inferSelect;
export type OutboxRow = typeof outbox.$inferSelect;
