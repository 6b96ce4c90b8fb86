import type { CompletedPayment, FailedPayment, Refund, RefundedPayment } from "./payment.js";

/** Why a product's stock moved for a payment. */
export type StockChange = "SOLD" | "RELEASED" | "RESTOCKED";

/**
 * What a transition tells the rest of the system. The outbox writer turns each into one
 * `shop.events.v1` message (events/outbox-messages.ts); the domain never sees those types.
 */
export type PaymentEvent =
  | { readonly kind: "PaymentCompleted"; readonly payment: CompletedPayment }
  | { readonly kind: "PaymentFailed"; readonly payment: FailedPayment }
  | {
      readonly kind: "PaymentRefunded";
      readonly payment: CompletedPayment | RefundedPayment;
      readonly refund: Refund;
    }
  | {
      readonly kind: "StockUpdated";
      readonly paymentId: string;
      readonly productId: bigint;
      readonly quantity: number;
      readonly reason: StockChange;
    }
  | { readonly kind: "BasketCleared"; readonly paymentId: string; readonly userId: string };

/** One StockUpdated per line of the payment, all for the same reason. */
export function stockEvents(
  payment: { id: string; items: readonly { productId: bigint; quantity: number }[] },
  reason: StockChange,
): PaymentEvent[] {
  return payment.items.map((item) => ({
    kind: "StockUpdated",
    paymentId: payment.id,
    productId: item.productId,
    quantity: item.quantity,
    reason,
  }));
}
