import { FailedPrecondition, InvalidArgument } from "#shared/errors";
import { type Cents, formatMoney as money } from "#shared/money";
import { type PaymentEvent, stockEvents } from "./events.js";
import type {
  CancelledPayment,
  CompletedPayment,
  ExpiredPayment,
  FailedPayment,
  Payment,
  PendingPayment,
  Refund,
  RefundedPayment,
} from "./payment.js";

/** A transition's result: the payment's new state and the events to publish with it. */
export type Transition<P extends Payment = Payment> = {
  readonly payment: P;
  readonly events: readonly PaymentEvent[];
};

/** True when `payment` is PENDING and its time ran out: every command must expire it first. */
export function isDue(payment: Payment, now: Date): boolean {
  return payment.status === "PENDING" && now.getTime() >= payment.expiresAt.getTime();
}

/** The payment if PENDING; otherwise FailedPrecondition naming its state and the verb refused. */
export function requirePending(payment: Payment, verb: string): PendingPayment {
  if (payment.status !== "PENDING") throw illegal(payment, "PENDING", verb);
  return payment;
}

/** PENDING → COMPLETED: the stock is sold and the basket can be emptied. */
export function completePayment(
  payment: Payment,
  charge: { providerId: string; at: Date },
): Transition<CompletedPayment> {
  const pending = requirePending(payment, "processed");
  const completed: CompletedPayment = {
    ...pending,
    status: "COMPLETED",
    providerId: charge.providerId,
    processedAt: charge.at,
    updatedAt: charge.at,
    refundedAmount: 0n as Cents,
    refunds: [],
  };
  return {
    payment: completed,
    events: [
      { kind: "PaymentCompleted", payment: completed },
      ...stockEvents(completed, "SOLD"),
      { kind: "BasketCleared", paymentId: completed.id, userId: completed.userId },
    ],
  };
}

/** PENDING → FAILED: the provider refused; the reserved stock goes back. */
export function failPayment(
  payment: Payment,
  refusal: { reason: string; providerId: string; at: Date },
): Transition<FailedPayment> {
  const pending = requirePending(payment, "processed");
  const failed: FailedPayment = {
    ...pending,
    status: "FAILED",
    failureReason: refusal.reason,
    providerId: refusal.providerId,
    processedAt: refusal.at,
    updatedAt: refusal.at,
  };
  return {
    payment: failed,
    events: [{ kind: "PaymentFailed", payment: failed }, ...stockEvents(failed, "RELEASED")],
  };
}

/** PENDING → CANCELLED: the reserved stock goes back. */
export function cancelPayment(payment: Payment, at: Date): Transition<CancelledPayment> {
  const pending = requirePending(payment, "cancelled");
  const cancelled: CancelledPayment = {
    ...pending,
    status: "CANCELLED",
    processedAt: at,
    updatedAt: at,
  };
  return { payment: cancelled, events: stockEvents(cancelled, "RELEASED") };
}

/** PENDING → EXPIRED, only once its time ran out: the reserved stock goes back. */
export function expirePayment(payment: Payment, at: Date): Transition<ExpiredPayment> {
  const pending = requirePending(payment, "expired");
  if (!isDue(pending, at)) {
    throw new FailedPrecondition(
      `payment ${payment.id} is PENDING until ${pending.expiresAt.toISOString()}; it cannot expire before`,
    );
  }
  const expired: ExpiredPayment = { ...pending, status: "EXPIRED", processedAt: at, updatedAt: at };
  return { payment: expired, events: stockEvents(expired, "RELEASED") };
}

/**
 * How much a refund of `requested` (everything left when undefined) would give back, checked
 * against the refund rules before any provider is asked: only a COMPLETED payment, more than
 * nothing, never beyond what is left.
 */
export function refundableAmount(payment: Payment, requested: Cents | undefined): Cents {
  if (payment.status !== "COMPLETED") throw illegal(payment, "COMPLETED", "refunded");
  if (requested !== undefined && requested <= 0n) {
    throw new InvalidArgument("amount", "must be greater than 0");
  }
  const left = (payment.amount - payment.refundedAmount) as Cents;
  const amount = requested ?? left;
  if (amount === 0n) {
    throw new FailedPrecondition(`payment ${payment.id} has nothing left to refund`);
  }
  if (amount > left) {
    throw new FailedPrecondition(
      `a refund of ${money(amount)} exceeds the ${money(left)} left to refund on payment ${payment.id}` +
        ` (paid ${money(payment.amount)}, refunded ${money(payment.refundedAmount)})`,
    );
  }
  return amount;
}

/**
 * COMPLETED → COMPLETED (partial) or REFUNDED (the refunds now add up to the amount). Money only:
 * stock is restocked by a full refund alone, since a partial one does not say which goods came
 * back.
 */
export function refundPayment(
  payment: Payment,
  refund: Refund,
): Transition<CompletedPayment | RefundedPayment> & { refund: Refund } {
  refundableAmount(payment, refund.amount);
  const completed = payment as CompletedPayment;
  const refundedAmount = (completed.refundedAmount + refund.amount) as Cents;
  const full = refundedAmount === completed.amount;
  const next: CompletedPayment | RefundedPayment = {
    ...completed,
    status: full ? "REFUNDED" : "COMPLETED",
    refundedAmount,
    refunds: [...completed.refunds, refund],
    updatedAt: refund.createdAt,
  };
  const events: PaymentEvent[] = [{ kind: "PaymentRefunded", payment: next, refund }];
  if (full) events.push(...stockEvents(next, "RESTOCKED"));
  return { payment: next, events, refund };
}

function illegal(payment: Payment, required: Payment["status"], verb: string) {
  return new FailedPrecondition(
    `payment ${payment.id} is ${payment.status}; only a ${required} payment can be ${verb}`,
  );
}
