import type { Cents } from "#shared/money";

/** Where a payment stands; see `transitions.ts` for the moves between them. */
export const PAYMENT_STATUSES = [
  "PENDING",
  "COMPLETED",
  "FAILED",
  "CANCELLED",
  "REFUNDED",
  "EXPIRED",
] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** One basket line as it was priced when the payment was created. */
export type PaymentItem = {
  readonly id: string;
  readonly productId: bigint;
  readonly name: string;
  readonly quantity: number;
  /** Unit price from the catalogue at checkout. */
  readonly price: Cents;
  /** `price × quantity`, exact. */
  readonly subtotal: Cents;
  readonly category: string;
};

/** Money given back on a completed payment. */
export type Refund = {
  readonly id: string;
  readonly amount: Cents;
  readonly reason: string;
  /** The provider's reference for the refund. */
  readonly providerId: string;
  readonly createdAt: Date;
};

/** What every payment has, whatever its status. */
type PaymentCore = {
  readonly id: string;
  readonly userId: string;
  readonly basketId: string;
  /** The exact sum of the items' subtotals. */
  readonly amount: Cents;
  readonly currency: string;
  readonly method: string;
  readonly provider: string;
  readonly description: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly idempotencyKey: string | undefined;
  readonly items: readonly PaymentItem[];
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** A PENDING payment is EXPIRED from this instant on. */
  readonly expiresAt: Date;
};

/** A payment that left PENDING: when it did. */
type Settled = { readonly processedAt: Date };

/** The provider took the money: its reference, and what was given back so far. */
type Charged = Settled & {
  readonly providerId: string;
  /** The exact sum of `refunds`; never more than `amount`. */
  readonly refundedAmount: Cents;
  readonly refunds: readonly Refund[];
};

export type PendingPayment = PaymentCore & { readonly status: "PENDING" };
export type CompletedPayment = PaymentCore & Charged & { readonly status: "COMPLETED" };
export type RefundedPayment = PaymentCore & Charged & { readonly status: "REFUNDED" };
export type FailedPayment = PaymentCore &
  Settled & {
    readonly status: "FAILED";
    readonly failureReason: string;
    /** The provider's reference for the refused charge, "" when it gave none. */
    readonly providerId: string;
  };
export type CancelledPayment = PaymentCore & Settled & { readonly status: "CANCELLED" };
export type ExpiredPayment = PaymentCore & Settled & { readonly status: "EXPIRED" };

/**
 * The payment aggregate: one variant per status, so a field that only some states have (the
 * provider's reference, the failure reason, the refunds) cannot exist in the others.
 */
export type Payment =
  | PendingPayment
  | CompletedPayment
  | RefundedPayment
  | FailedPayment
  | CancelledPayment
  | ExpiredPayment;

/** The fields of any variant, read uniformly (for storage and the wire). */
export function paymentDetails(payment: Payment) {
  return {
    providerId: "providerId" in payment ? payment.providerId : "",
    failureReason: payment.status === "FAILED" ? payment.failureReason : "",
    refundedAmount: "refundedAmount" in payment ? payment.refundedAmount : (0n as Cents),
    refunds: "refunds" in payment ? payment.refunds : [],
    processedAt: "processedAt" in payment ? payment.processedAt : undefined,
  };
}
