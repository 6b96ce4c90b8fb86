import type { Payment } from "../domain/payment.js";
import { cancelPayment, expirePayment, isDue } from "../domain/transitions.js";
import { type CallContext, followUp, type PaymentDeps, requireOwner } from "./deps.js";
import { expiredError } from "./process-payment.js";

/**
 * CancelPayment: PENDING → CANCELLED under the row lock, then gives the reserved stock back (the
 * outbox's StockUpdated RELEASED events carry the same release). A payment whose time ran out
 * becomes EXPIRED instead and the call answers FailedPrecondition, as ProcessPayment does.
 */
export function createCancelPayment(deps: PaymentDeps) {
  const { payments, stock, logger, clock } = deps;
  return async function cancel(input: { id: string }, ctx: CallContext): Promise<Payment> {
    const payment = await payments.update(input.id, async (current) => {
      requireOwner(current, ctx.actor);
      const now = clock();
      return isDue(current, now) ? expirePayment(current, now) : cancelPayment(current, now);
    });
    deps.outboxWritten?.();
    await followUp(logger, "ReleaseStock", payment.id, stock.release(payment.id, ctx.requestId));
    if (payment.status === "EXPIRED") throw expiredError(payment);
    return payment;
  };
}
