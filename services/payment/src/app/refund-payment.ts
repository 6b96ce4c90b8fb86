import { FailedPrecondition } from "#shared/errors";
import type { Cents } from "#shared/money";
import type { Payment, Refund } from "../domain/payment.js";
import { newUuidV7 } from "../domain/payment-id.js";
import { refundableAmount, refundPayment } from "../domain/transitions.js";
import type { PaymentDeps } from "./deps.js";

/**
 * RefundPayment: gives money back on a COMPLETED payment — `amount`, or everything left when
 * absent — checked under the row lock so concurrent refunds can never add up to more than was
 * paid. The refunds reaching the amount make the payment REFUNDED and put its stock back (by
 * event); a partial refund is money only.
 */
export function createRefundPayment(deps: PaymentDeps) {
  const { payments, provider, clock } = deps;
  return async function refund(input: {
    id: string;
    amount: Cents | undefined;
    reason: string;
  }): Promise<{ payment: Payment; refund: Refund }> {
    let made: Refund | undefined;
    const payment = await payments.update(input.id, async (current) => {
      const amount = refundableAmount(current, input.amount);
      const id = newUuidV7();
      const outcome = await provider.refund({
        paymentId: current.id,
        refundId: id,
        chargeId: "providerId" in current ? current.providerId : "",
        amount,
        currency: current.currency,
      });
      if (!outcome.ok) {
        throw new FailedPrecondition(`the provider refused the refund: ${outcome.reason}`);
      }
      const at = clock();
      const change = refundPayment(current, {
        id,
        amount,
        reason: input.reason,
        providerId: outcome.providerId,
        createdAt: at,
      });
      made = change.refund;
      return change;
    });
    deps.outboxWritten?.();
    if (!made) throw new Error("refund committed without a refund record");
    return { payment, refund: made };
  };
}
