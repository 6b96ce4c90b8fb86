import { and, asc, desc, eq, inArray, lt, or, type SQL } from "drizzle-orm";
import type { Pool } from "mysql2/promise";
import { NotFound } from "#shared/errors";
import { encodePageToken, type ListPaymentsQuery } from "../domain/list-query.js";
import type { Payment } from "../domain/payment.js";
import { type PaymentDb, paymentDb } from "./connection.js";
import type { PaymentTx } from "./outbox-writer.js";
import { toPayment } from "./payment-rows.js";
import { type PaymentRow, paymentItems, payments, refunds } from "./schema.js";

/** One page of a payment list; `nextPageToken` is "" on the last page. */
export type PaymentPage = { payments: Payment[]; nextPageToken: string };

/** The payment reads behind GetPayment and the lists; no locks, no transaction. */
export function createPaymentQueries(pool: Pool) {
  const db = paymentDb(pool);
  return {
    /** The payment with its items and refunds; NotFound when there is none. */
    async get(id: string): Promise<Payment> {
      const [payment] = await loadPayments(db, { id });
      if (!payment) throw new NotFound("payment", id);
      return payment;
    },

    /** The payment a user's idempotency key created, if any. */
    async findByIdempotencyKey(userId: string, key: string): Promise<Payment | undefined> {
      const rows = await db
        .select()
        .from(payments)
        .where(and(eq(payments.userId, userId), eq(payments.idempotencyKey, key)));
      return (await withDetails(db, rows))[0];
    },

    /**
     * One page, newest first, in keyset order on (created_at, id) (never OFFSET), with every
     * payment's items and refunds: three queries per page whatever its size.
     */
    async list(query: ListPaymentsQuery): Promise<PaymentPage> {
      const { status, userId } = query.filters;
      const rows = await db
        .select()
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
      const page = await withDetails(db, rows.slice(0, query.pageSize));
      const last = page.at(-1);
      const more = rows.length > query.pageSize && last;
      return { payments: page, nextPageToken: more ? encodePageToken(query, last) : "" };
    },
  };
}

/** The query side's shape, for callers that want to name it. */
export type PaymentQueries = ReturnType<typeof createPaymentQueries>;

/**
 * Payments by id with their items and refunds; `lock` takes their rows FOR UPDATE (inside the
 * caller's transaction). Missing ids are left out.
 */
export async function loadPayments(
  db: PaymentDb | PaymentTx,
  where: { id: string; lock?: boolean } | { ids: string[] },
): Promise<Payment[]> {
  const ids = "ids" in where ? where.ids : [where.id];
  const select = db.select().from(payments).where(inArray(payments.id, ids));
  const rows = "lock" in where && where.lock ? await select.for("update") : await select;
  return withDetails(db, rows);
}

/** Attaches items and refunds to payment rows: one query each for all of them, never N+1. */
async function withDetails(db: PaymentDb | PaymentTx, rows: PaymentRow[]): Promise<Payment[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((row) => row.id);
  const [itemRows, refundRows] = await Promise.all([
    db
      .select()
      .from(paymentItems)
      .where(inArray(paymentItems.paymentId, ids))
      .orderBy(asc(paymentItems.paymentId), asc(paymentItems.productId)),
    db
      .select()
      .from(refunds)
      .where(inArray(refunds.paymentId, ids))
      .orderBy(asc(refunds.paymentId), asc(refunds.createdAt), asc(refunds.id)),
  ]);
  const itemsOf = Map.groupBy(itemRows, (item) => item.paymentId);
  const refundsOf = Map.groupBy(refundRows, (refund) => refund.paymentId);
  return rows.map((row) => toPayment(row, itemsOf.get(row.id) ?? [], refundsOf.get(row.id) ?? []));
}

function afterCursor(query: ListPaymentsQuery): SQL | undefined {
  if (!query.after) return undefined;
  const { createdAt, id } = query.after;
  return or(
    lt(payments.createdAt, createdAt),
    and(eq(payments.createdAt, createdAt), lt(payments.id, id)),
  );
}
