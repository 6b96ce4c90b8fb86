import { FailedPrecondition, InvalidArgument } from "#shared/errors";
import type { Payment } from "../domain/payment.js";
import {
  completePayment,
  expirePayment,
  failPayment,
  isDue,
  requirePending,
} from "../domain/transitions.js";
import { type CallContext, followUp, type PaymentDeps, requireOwner } from "./deps.js";

/** The refusal for a command on a payment whose time ran out (it is EXPIRED now). */
export function expiredError(payment: Payment): FailedPrecondition {
  return new FailedPrecondition(
    `payment ${payment.id} expired at ${payment.expiresAt.toISOString()}; it is EXPIRED now`,
  );
}

/**
 * ProcessPayment: charges a PENDING payment through the provider while holding its row lock, so
 * a concurrent process or cancel waits and then finds it no longer PENDING. COMPLETED sells the
 * reserved stock and empties the basket (by event); FAILED gives the stock back. A refusal is a
 * successful call returning the FAILED payment with its reason, not an error. A payment whose
 * time ran out becomes EXPIRED (committed) and the call answers FailedPrecondition.
 */
export function createProcessPayment(deps: PaymentDeps) {
  const { payments, provider, stock, logger, clock } = deps;
  return async function processPayment(
    input: { id: string; token: string },
    ctx: CallContext,
  ): Promise<Payment> {
    const token = input.token.trim();
    if (token === "") throw new InvalidArgument("payment_token", "is required");
    if (token.length > 200) throw new InvalidArgument("payment_token", "is too long");
    const payment = await payments.update(input.id, async (current) => {
      requireOwner(current, ctx.actor);
      const now = clock();
      if (isDue(current, now)) return expirePayment(current, now);
      const pending = requirePending(current, "processed");
      const outcome = await provider.charge({
        paymentId: pending.id,
        amount: pending.amount,
        currency: pending.currency,
        token,
      });
      const at = clock();
      return outcome.ok
        ? completePayment(pending, { providerId: outcome.providerId, at })
        : failPayment(pending, {
            reason: outcome.reason,
            providerId: outcome.providerId ?? "",
            at,
          });
    });
    deps.outboxWritten?.();
    if (payment.status === "COMPLETED") {
      await followUp(logger, "CommitStock", payment.id, stock.commit(payment.id, ctx.requestId));
      return payment;
    }
    await followUp(logger, "ReleaseStock", payment.id, stock.release(payment.id, ctx.requestId));
    if (payment.status === "EXPIRED") throw expiredError(payment);
    return payment;
  };
}
