import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

/**
 * One notification per payment event for the payment's user. `event_id` is UNIQUE: a redelivered
 * event finds its notification there and adds none. `id` (identity) is the public id and the
 * list's keyset: newest first is `id DESC`, served by (user_id, id), and by a partial index for
 * the unread-only list. Amounts are the event's exact decimal strings, never numbers.
 */
export const notifications = pgTable(
  "notifications",
  {
    id: bigint("id", { mode: "bigint" }).primaryKey().generatedAlwaysAsIdentity(),
    userId: text("user_id").notNull(),
    // KINDS of domain/notification.ts, spelled out: drizzle-kit loads this file on its own.
    kind: text("kind", {
      enum: ["payment_completed", "payment_failed", "payment_refunded"],
    }).notNull(),
    message: text("message").notNull(),
    paymentId: text("payment_id").notNull(),
    amount: text("amount").notNull(),
    currency: text("currency").notNull(),
    eventId: text("event_id").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    readAt: timestamp("read_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [
    uniqueIndex("notifications_event_id_key").on(t.eventId),
    index("notifications_user_idx").on(t.userId, t.id.desc()),
    index("notifications_user_unread_idx")
      .on(t.userId, t.id.desc())
      .where(sql`${t.readAt} IS NULL`),
    check(
      "notifications_kind_known",
      sql`${t.kind} IN ('payment_completed', 'payment_failed', 'payment_refunded')`,
    ),
  ],
);

/**
 * The event store: every CloudEvent consumed from the project's topics, once per event id
 * (INSERT … ON CONFLICT DO NOTHING), never updated or deleted (a trigger refuses both, see
 * migration 0001). `sequence` is the append order and the keyset of ListEvents; the indexes serve
 * its filters by aggregate, by type and by time. `payload` is text that a CHECK proves to be JSON:
 * kept exactly as delivered (jsonb would reorder keys and drop duplicates).
 */
export const eventLog = pgTable(
  "event_log",
  {
    sequence: bigint("sequence", { mode: "bigint" }).primaryKey().generatedAlwaysAsIdentity(),
    eventId: text("event_id").notNull(),
    type: text("type").notNull(),
    source: text("source").notNull(),
    time: timestamp("time", { withTimezone: true, mode: "date" }).notNull(),
    subject: text("subject"),
    aggregateId: text("aggregate_id").notNull(),
    topic: text("topic").notNull(),
    partition: integer("partition").notNull(),
    offset: bigint("offset", { mode: "bigint" }).notNull(),
    payload: text("payload").notNull(),
    traceparent: text("traceparent"),
    recordedAt: timestamp("recorded_at", { withTimezone: true, mode: "date" })
      .notNull()
      .defaultNow(),
  },
  (t) => [
    uniqueIndex("event_log_event_id_key").on(t.eventId),
    index("event_log_aggregate_idx").on(t.aggregateId, t.sequence),
    index("event_log_type_idx").on(t.type, t.sequence),
    index("event_log_time_idx").on(t.time),
    check("event_log_payload_is_json", sql`${t.payload}::json IS NOT NULL`),
  ],
);
