import { and, asc, eq, lte } from "drizzle-orm";
import type { Pool } from "mysql2/promise";
import { NotFound } from "#shared/errors";
import type { ExpiredPayment, Payment, PendingPayment, Refund } from "../domain/payment.js";
import { expirePayment, type Transition } from "../domain/transitions.js";
import { type PaymentDb, paymentDb } from "./connection.js";
import { type PaymentTx, writeOutbox } from "./outbox-writer.js";
import { loadPayments } from "./payment-reads.js";
import { toItemColumns, toPaymentColumns, toRefundColumns } from "./payment-rows.js";
import { paymentItems, payments, refunds } from "./schema.js";

/** Another request with the same user and idempotency key stored its payment first. */
export class DuplicateIdempotencyKey extends Error {
  override name = "DuplicateIdempotencyKey";
}

/** What an update closure returns: a transition, and the refund it made if any. */
export type Change = Transition & { readonly refund?: Refund };

/**
 * The payment aggregate's writes. Every write is one MariaDB transaction that saves the new state
 * and its events (to the outbox) together; a closure that throws rolls both back.
 */
export function createPaymentRepository(pool: Pool) {
  const db = paymentDb(pool);
  return {
    /** Stores a new PENDING payment with its items; DuplicateIdempotencyKey on a lost race. */
    insertPending: (payment: PendingPayment) => insertPending(db, payment),

    /**
     * Locks the payment's row (`SELECT … FOR UPDATE`), hands its current state to `change`, saves
     * the state it returns with its events and refund, and commits. Concurrent updates of one
     * payment queue on the lock, so each sees the state the previous one left: two transitions
     * out of PENDING can never both win. NotFound when there is no such payment.
     */
    async update(id: string, change: (payment: Payment) => Promise<Change>): Promise<Payment> {
      return db.transaction(async (tx) => {
        const [current] = await loadPayments(tx, { id, lock: true });
        if (!current) throw new NotFound("payment", id);
        const next = await change(current);
        await save(tx, next);
        return next.payment;
      });
    },

    /**
     * Expires up to `limit` PENDING payments whose time ran out by `now`, oldest first, in one
     * transaction. Rows another instance (or a running command) holds are skipped, not waited
     * for, so several sweepers share the work.
     */
    async expireDue(now: Date, limit: number): Promise<ExpiredPayment[]> {
      return db.transaction(async (tx) => {
        const due = await tx
          .select({ id: payments.id })
          .from(payments)
          .where(and(eq(payments.status, "PENDING"), lte(payments.expiresAt, now)))
          .orderBy(asc(payments.expiresAt))
          .limit(limit)
          .for("update", { skipLocked: true });
        if (due.length === 0) return [];
        const found = await loadPayments(tx, { ids: due.map((row) => row.id) });
        const expired = found.map((payment) => expirePayment(payment, now));
        for (const transition of expired) await save(tx, transition);
        return expired.map((transition) => transition.payment);
      });
    },
  };
}

/** The repository's shape, for callers that want to name it. */
export type PaymentRepository = ReturnType<typeof createPaymentRepository>;

async function insertPending(db: PaymentDb, payment: PendingPayment): Promise<void> {
  try {
    await db.transaction(async (tx) => {
      await tx.insert(payments).values(toPaymentColumns(payment));
      await tx
        .insert(paymentItems)
        .values(payment.items.map((item) => toItemColumns(payment, item)));
    });
  } catch (error) {
    if (isDuplicateKey(error, "payments_user_idempotency_key")) {
      throw new DuplicateIdempotencyKey(`idempotency key of user ${payment.userId} already used`);
    }
    throw error;
  }
}

async function save(tx: PaymentTx, { payment, events, refund }: Change): Promise<void> {
  const { id: _, ...columns } = toPaymentColumns(payment);
  await tx.update(payments).set(columns).where(eq(payments.id, payment.id));
  if (refund) await tx.insert(refunds).values(toRefundColumns(payment.id, refund));
  await writeOutbox(tx, events, payment.updatedAt);
}

/** MariaDB's ER_DUP_ENTRY on the named unique index (drizzle wraps the driver's error). */
function isDuplicateKey(error: unknown, index: string): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    const { code, message } = cause as Error & { code?: unknown };
    if (code === "ER_DUP_ENTRY") return message.includes(index);
  }
  return false;
}
