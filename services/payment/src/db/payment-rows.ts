import { formatMoney, parseMoney } from "#shared/money";
import {
  PAYMENT_STATUSES,
  type Payment,
  type PaymentItem,
  type PaymentStatus,
  paymentDetails,
  type Refund,
} from "../domain/payment.js";
import type { PaymentItemRow, PaymentRow, payments, RefundRow } from "./schema.js";

/** The payment columns of a payment; items and refunds have their own tables. */
export function toPaymentColumns(payment: Payment): typeof payments.$inferInsert {
  const details = paymentDetails(payment);
  return {
    id: payment.id,
    userId: payment.userId,
    basketId: payment.basketId,
    amount: formatMoney(payment.amount),
    currency: payment.currency,
    status: payment.status,
    method: payment.method,
    provider: payment.provider,
    providerId: details.providerId,
    description: payment.description,
    metadata: { ...payment.metadata },
    failureReason: details.failureReason,
    refundedAmount: formatMoney(details.refundedAmount),
    idempotencyKey: payment.idempotencyKey ?? null,
    createdAt: payment.createdAt,
    updatedAt: payment.updatedAt,
    processedAt: details.processedAt ?? null,
    expiresAt: payment.expiresAt,
  };
}

export function toItemColumns(payment: Payment, item: PaymentItem) {
  return {
    id: item.id,
    paymentId: payment.id,
    productId: item.productId,
    name: item.name,
    quantity: item.quantity,
    price: formatMoney(item.price),
    subtotal: formatMoney(item.subtotal),
    category: item.category,
    createdAt: payment.createdAt,
  };
}

export function toRefundColumns(paymentId: string, refund: Refund) {
  return { ...refund, paymentId, amount: formatMoney(refund.amount) };
}

/** A stored payment back into its state's variant; a row no variant fits is an error. */
export function toPayment(
  row: PaymentRow,
  itemRows: readonly PaymentItemRow[],
  refundRows: readonly RefundRow[],
): Payment {
  const core = {
    id: row.id,
    userId: row.userId,
    basketId: row.basketId,
    amount: money(row.amount, row.id),
    currency: row.currency,
    method: row.method,
    provider: row.provider,
    description: row.description,
    metadata: readMetadata(row.metadata),
    idempotencyKey: row.idempotencyKey ?? undefined,
    items: itemRows.map((item) => toItem(item, row.id)),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    expiresAt: row.expiresAt,
  };
  const status = readStatus(row);
  if (status === "PENDING") return { ...core, status };
  const processedAt = required(row.processedAt, `processed_at of payment ${row.id}`);
  switch (status) {
    case "COMPLETED":
    case "REFUNDED":
      return {
        ...core,
        status,
        processedAt,
        providerId: row.providerId,
        refundedAmount: money(row.refundedAmount, row.id),
        refunds: refundRows.map((refund) => ({ ...refund, amount: money(refund.amount, row.id) })),
      };
    case "FAILED":
      return {
        ...core,
        status,
        processedAt,
        failureReason: row.failureReason,
        providerId: row.providerId,
      };
    default:
      return { ...core, status, processedAt };
  }
}

function toItem(row: PaymentItemRow, paymentId: string): PaymentItem {
  return {
    id: row.id,
    productId: row.productId,
    name: row.name,
    quantity: row.quantity,
    price: money(row.price, paymentId),
    subtotal: money(row.subtotal, paymentId),
    category: row.category,
  };
}

function readStatus(row: PaymentRow): PaymentStatus {
  const status = PAYMENT_STATUSES.find((known) => known === row.status);
  return required(status, `status "${row.status}" of payment ${row.id}`);
}

// MariaDB's JSON is LONGTEXT underneath: mysql2 may hand it over as text or already parsed.
function readMetadata(value: unknown): Record<string, string> {
  const parsed: unknown = typeof value === "string" ? JSON.parse(value) : value;
  if (typeof parsed !== "object" || parsed === null) return {};
  return Object.fromEntries(
    Object.entries(parsed).filter(
      (entry): entry is [string, string] => typeof entry[1] === "string",
    ),
  );
}

function money(text: string, paymentId: string) {
  return required(parseMoney(text), `amount "${text}" of payment ${paymentId}`);
}

function required<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) throw new Error(`unexpected database row: ${what}`);
  return value;
}
