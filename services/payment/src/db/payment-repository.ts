import type { Pool } from "mysql2/promise";
import { NotFound } from "#shared/errors";
import type { ExpiredPayment, Payment, PendingPayment, Refund } from "../domain/payment.js";
import { expirePayment, type Transition } from "../domain/transitions.js";
import { type BatchedTx, inBatchedTransaction } from "./batched-transaction.js";
import { outboxRows } from "./outbox-writer.js";
import {
  ITEMS_JSON,
  REFUNDS_JSON,
  type RowWithLines,
  toPaymentWithLines,
} from "./payment-reads.js";
import { toItemColumns, toPaymentColumns, toRefundColumns } from "./payment-rows.js";
import { paymentItems, payments, refunds } from "./schema.js";
import { decodeRow, insertRows, selectColumns, updateRow } from "./statements.js";

/** Another request with the same user and idempotency key stored its payment first. */
export class DuplicateIdempotencyKey extends Error {
  override name = "DuplicateIdempotencyKey";
}

/** What an update closure returns: a transition, and the refund it made if any. */
export type Change = Transition & { readonly refund?: Refund };

/**
 * The payment aggregate's writes. Every write is one MariaDB transaction that saves the new state
 * and its events (to the outbox) together; a closure that throws rolls both back. The statements
 * are hand-written from the schema and batched (`inBatchedTransaction`): these are the writes of
 * every checkout.
 */
export function createPaymentRepository(pool: Pool) {
  return {
    /** Stores a new PENDING payment with its items; DuplicateIdempotencyKey on a lost race. */
    insertPending: (payment: PendingPayment) => insertPending(pool, payment),

    /**
     * Locks the payment's row (`SELECT … FOR UPDATE`), hands its current state to `change`, saves
     * the state it returns with its events and refund, and commits. Concurrent updates of one
     * payment queue on the lock, so each sees the state the previous one left: two transitions
     * out of PENDING can never both win. NotFound when there is no such payment.
     */
    async update(id: string, change: (payment: Payment) => Promise<Change>): Promise<Payment> {
      return inBatchedTransaction(pool, async (tx) => {
        const [current] = await lockPayments(tx, [id]);
        if (!current) throw new NotFound("payment", id);
        const next = await change(current);
        save(tx, next);
        return next.payment;
      });
    },

    /**
     * Expires up to `limit` PENDING payments whose time ran out by `now`, oldest first, in one
     * transaction. Rows another instance (or a running command) holds are skipped, not waited
     * for, so several sweepers share the work.
     */
    async expireDue(now: Date, limit: number): Promise<ExpiredPayment[]> {
      return inBatchedTransaction(pool, async (tx) => {
        const due = await tx.read<{ id: string }>({
          sql:
            "SELECT id FROM payments WHERE status = 'PENDING' AND expires_at <= ?" +
            " ORDER BY expires_at LIMIT ? FOR UPDATE SKIP LOCKED",
          values: [payments.expiresAt.mapToDriverValue(now), limit],
        });
        if (due.length === 0) return [];
        const found = await lockPayments(
          tx,
          due.map((row) => row.id),
        );
        const expired = found.map((payment) => expirePayment(payment, now));
        for (const transition of expired) save(tx, transition);
        return expired.map((transition) => transition.payment);
      });
    },
  };
}

/** The repository's shape, for callers that want to name it. */
export type PaymentRepository = ReturnType<typeof createPaymentRepository>;

async function insertPending(pool: Pool, payment: PendingPayment): Promise<void> {
  try {
    await inBatchedTransaction(pool, async (tx) => {
      tx.write(insertRows(payments, [toPaymentColumns(payment)]));
      tx.write(
        insertRows(
          paymentItems,
          payment.items.map((item) => toItemColumns(payment, item)),
        ),
      );
    });
  } catch (error) {
    if (isDuplicateKey(error, "payments_user_idempotency_key")) {
      throw new DuplicateIdempotencyKey(`idempotency key of user ${payment.userId} already used`);
    }
    throw error;
  }
}

/**
 * Payments by id with their items and refunds (`ITEMS_JSON`, `REFUNDS_JSON`: one statement),
 * their rows locked FOR UPDATE until the transaction ends. Missing ids are left out.
 */
async function lockPayments(tx: BatchedTx, ids: readonly string[]): Promise<Payment[]> {
  const rows = await tx.read<Record<string, unknown>>({
    sql:
      `SELECT ${PAYMENT_COLUMNS}, ${ITEMS_JSON} AS items, ${REFUNDS_JSON} AS refunds` +
      " FROM payments WHERE payments.id IN (?) FOR UPDATE",
    values: [ids],
  });
  return rows.map((row) => toPaymentWithLines(decodeRow(payments, row) as RowWithLines));
}

const PAYMENT_COLUMNS = selectColumns(payments, "payments");

function save(tx: BatchedTx, { payment, events, refund }: Change): void {
  const { id, ...columns } = toPaymentColumns(payment);
  tx.write(updateRow(payments, columns, { column: payments.id, equals: id }));
  if (refund) tx.write(insertRows(refunds, [toRefundColumns(payment.id, refund)]));
  tx.write(outboxRows(events, payment.updatedAt));
}

/** MariaDB's ER_DUP_ENTRY on the named unique index. */
function isDuplicateKey(error: unknown, index: string): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    const { code, message } = cause as Error & { code?: unknown };
    if (code === "ER_DUP_ENTRY") return message.includes(index);
  }
  return false;
}
