import { and, desc, eq, getTableColumns, lt, or, type SQL, sql } from "drizzle-orm";
import type { Pool } from "mysql2/promise";
import { NotFound } from "#shared/errors";
import { encodePageToken, type ListPaymentsQuery } from "../domain/list-query.js";
import type { Payment } from "../domain/payment.js";
import { type PaymentDb, paymentDb } from "./connection.js";
import { toPayment } from "./payment-rows.js";
import { type PaymentItemRow, type PaymentRow, payments, type RefundRow } from "./schema.js";

/** One page of a payment list; `nextPageToken` is "" on the last page. */
export type PaymentPage = { payments: Payment[]; nextPageToken: string };

/** The payment reads behind GetPayment and the lists; no locks, no transaction. */
export function createPaymentQueries(pool: Pool) {
  const db = paymentDb(pool);
  return {
    /** The payment with its items and refunds; NotFound when there is none. */
    async get(id: string): Promise<Payment> {
      const payment = await loadPayment(db, id);
      if (!payment) throw new NotFound("payment", id);
      return payment;
    },

    /** The payment a user's idempotency key created, if any. */
    async findByIdempotencyKey(userId: string, key: string): Promise<Payment | undefined> {
      const rows = await db
        .select(withLines)
        .from(payments)
        .where(and(eq(payments.userId, userId), eq(payments.idempotencyKey, key)));
      return rows.map(toPaymentWithLines)[0];
    },

    /**
     * One page, newest first, in keyset order on (created_at, id) (never OFFSET), with every
     * payment's items and refunds: one query per page whatever its size.
     */
    async list(query: ListPaymentsQuery): Promise<PaymentPage> {
      const { status, userId } = query.filters;
      const rows = await db
        .select(withLines)
        .from(payments)
        .where(
          and(
            status === undefined ? undefined : eq(payments.status, status),
            userId === undefined ? undefined : eq(payments.userId, userId),
            afterCursor(query),
          ),
        )
        .orderBy(desc(payments.createdAt), desc(payments.id))
        .limit(query.pageSize + 1);
      const page = rows.slice(0, query.pageSize).map(toPaymentWithLines);
      const last = page.at(-1);
      const more = rows.length > query.pageSize && last;
      return { payments: page, nextPageToken: more ? encodePageToken(query, last) : "" };
    },
  };
}

/**
 * A payment row with its items and refunds as JSON arrays from scalar subqueries: one round trip
 * instead of three. Under FOR UPDATE only the payment rows are locked: InnoDB takes no locks for
 * the subqueries (a join would take next-key locks on `payment_items`, and so block inserting
 * the items of newer payments until the lock is released). Items never change after their
 * payment's insert and refunds change only under this row lock, so both are read consistently.
 * Exact values travel as text: BIGINT and DECIMAL would lose precision as JSON numbers. The
 * outer table is named in full: drizzle leaves columns unqualified when a select has no join.
 */
export const ITEMS_JSON = `(SELECT JSON_ARRAYAGG(JSON_OBJECT(
      'id', i.id, 'productId', CAST(i.product_id AS CHAR), 'name', i.name,
      'quantity', i.quantity, 'price', CAST(i.price AS CHAR),
      'subtotal', CAST(i.subtotal AS CHAR), 'category', i.category)
      ORDER BY i.product_id, i.id)
    FROM payment_items i WHERE i.payment_id = payments.id)`;

/** The refunds of the outer `payments` row as a JSON array (see `ITEMS_JSON`). */
export const REFUNDS_JSON = `(SELECT JSON_ARRAYAGG(JSON_OBJECT(
      'id', r.id, 'amount', CAST(r.amount AS CHAR), 'reason', r.reason,
      'providerId', r.provider_id,
      'createdAt', DATE_FORMAT(r.created_at, '%Y-%m-%dT%H:%i:%s.%fZ'))
      ORDER BY r.created_at, r.id)
    FROM refunds r WHERE r.payment_id = payments.id)`;

/** The query side's shape, for callers that want to name it. */
export type PaymentQueries = ReturnType<typeof createPaymentQueries>;

/** The payment with its items and refunds, in ONE statement; undefined when there is none. */
async function loadPayment(db: PaymentDb, id: string): Promise<Payment | undefined> {
  const rows = await db.select(withLines).from(payments).where(eq(payments.id, id));
  return rows.map(toPaymentWithLines)[0];
}

/** `payments` with `ITEMS_JSON` and `REFUNDS_JSON`: one round trip per page or payment. */
const withLines = {
  ...getTableColumns(payments),
  items: sql.raw(ITEMS_JSON).as("items"),
  refunds: sql.raw(REFUNDS_JSON).as("refunds"),
};

/** A `payments` row with the JSON of `ITEMS_JSON` and `REFUNDS_JSON`. */
export type RowWithLines = PaymentRow & { items: unknown; refunds: unknown };

export function toPaymentWithLines({ items, refunds: refundJson, ...row }: RowWithLines): Payment {
  const itemRows = jsonArray(items).map(
    (item): PaymentItemRow => ({
      id: String(item.id),
      paymentId: row.id,
      productId: BigInt(String(item.productId)),
      name: String(item.name),
      quantity: Number(item.quantity),
      price: String(item.price),
      subtotal: String(item.subtotal),
      category: String(item.category),
      createdAt: row.createdAt,
    }),
  );
  const refundRows = jsonArray(refundJson).map(
    (refund): RefundRow => ({
      id: String(refund.id),
      paymentId: row.id,
      amount: String(refund.amount),
      reason: String(refund.reason),
      providerId: String(refund.providerId),
      createdAt: new Date(String(refund.createdAt)),
    }),
  );
  return toPayment(row, itemRows, refundRows);
}

/** A JSON_ARRAYAGG column: NULL for no rows; mysql2 may hand it over as text or already parsed. */
function jsonArray(value: unknown): Record<string, unknown>[] {
  const parsed: unknown = typeof value === "string" ? JSON.parse(value) : value;
  return Array.isArray(parsed) ? (parsed as Record<string, unknown>[]) : [];
}

function afterCursor(query: ListPaymentsQuery): SQL | undefined {
  if (!query.after) return undefined;
  const { createdAt, id } = query.after;
  return or(
    lt(payments.createdAt, createdAt),
    and(eq(payments.createdAt, createdAt), lt(payments.id, id)),
  );
}
