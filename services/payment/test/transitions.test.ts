import { describe, expect, it } from "vitest";
import { FailedPrecondition, InvalidArgument } from "#shared/errors";
import { PAYMENT_STATUSES, type Payment, type PaymentStatus } from "../src/domain/payment.js";
import {
  cancelPayment,
  completePayment,
  expirePayment,
  failPayment,
  isDue,
  refundableAmount,
  refundPayment,
  type Transition,
} from "../src/domain/transitions.js";
import { cents, paymentIn, pendingPayment, T0 } from "./support/payments.js";

const LATER = new Date(T0.getTime() + 60 * 60_000);
const refund = (amount: number) => ({
  id: `r-${amount}`,
  amount: cents(amount),
  reason: "damaged",
  providerId: "sim_re",
  createdAt: LATER,
});

/** Every command, as a function of the payment it is applied to. */
const COMMANDS: Record<
  string,
  { from: PaymentStatus; to: string; run: (p: Payment) => Transition }
> = {
  "processing with an accepted charge": {
    from: "PENDING",
    to: "COMPLETED",
    run: (p) => completePayment(p, { providerId: "sim_ch", at: LATER }),
  },
  "processing with a refused charge": {
    from: "PENDING",
    to: "FAILED",
    run: (p) => failPayment(p, { reason: "card declined", providerId: "", at: LATER }),
  },
  cancelling: { from: "PENDING", to: "CANCELLED", run: (p) => cancelPayment(p, LATER) },
  "expiring after the expiry time": {
    from: "PENDING",
    to: "EXPIRED",
    run: (p) => expirePayment(p, LATER),
  },
  "refunding everything": {
    from: "COMPLETED",
    to: "REFUNDED",
    run: (p) => refundPayment(p, refund(1000)),
  },
  "refunding a part": {
    from: "COMPLETED",
    to: "COMPLETED",
    run: (p) => refundPayment(p, refund(300)),
  },
};

const VERBS: Record<string, string> = {
  "processing with an accepted charge": "only a PENDING payment can be processed",
  "processing with a refused charge": "only a PENDING payment can be processed",
  cancelling: "only a PENDING payment can be cancelled",
  "expiring after the expiry time": "only a PENDING payment can be expired",
  "refunding everything": "only a COMPLETED payment can be refunded",
  "refunding a part": "only a COMPLETED payment can be refunded",
};

const legal = Object.entries(COMMANDS).map(([name, c]) => [name, c.from, c.to, c.run] as const);
const illegal = Object.entries(COMMANDS).flatMap(([name, c]) =>
  PAYMENT_STATUSES.filter((status) => status !== c.from).map(
    (status) => [name, status, c.run] as const,
  ),
);

describe("the payment state machine", () => {
  it.each(legal)("%s moves a %s payment to %s", (_, from, to, run) => {
    const { payment } = run(paymentIn(from));
    expect(payment.status).toBe(to);
    expect(payment.updatedAt).toEqual(LATER);
  });

  it.each(illegal)("%s a %s payment is refused, naming both states", (name, status, command) => {
    const run = () => command(paymentIn(status));
    expect(run).toThrow(FailedPrecondition);
    expect(run).toThrow(`payment ${paymentIn(status).id} is ${status}; ${VERBS[name]}`);
  });

  it("refuses to expire a PENDING payment before its expiry time", () => {
    expect(() => expirePayment(pendingPayment(), T0)).toThrow(/cannot expire before/);
  });

  it("counts a payment as due from its expiry instant on, and only while PENDING", () => {
    const pending = pendingPayment();
    expect(isDue(pending, new Date(pending.expiresAt.getTime() - 1))).toBe(false);
    expect(isDue(pending, pending.expiresAt)).toBe(true);
    expect(isDue(paymentIn("COMPLETED"), LATER)).toBe(false);
  });
});

describe("the events of each transition", () => {
  const kinds = (t: Transition) =>
    t.events.map((e) =>
      e.kind === "StockUpdated" ? `${e.kind}:${e.reason}:${e.productId}` : e.kind,
    );

  it("completing sells every line and clears the basket", () => {
    const t = completePayment(pendingPayment(), { providerId: "sim_ch", at: LATER });
    expect(kinds(t)).toEqual([
      "PaymentCompleted",
      "StockUpdated:SOLD:7",
      "StockUpdated:SOLD:9",
      "BasketCleared",
    ]);
    expect(t.payment).toMatchObject({ providerId: "sim_ch", processedAt: LATER });
  });

  it("failing keeps the reason and releases every line", () => {
    const t = failPayment(pendingPayment(), {
      reason: "insufficient funds",
      providerId: "",
      at: LATER,
    });
    expect(kinds(t)).toEqual([
      "PaymentFailed",
      "StockUpdated:RELEASED:7",
      "StockUpdated:RELEASED:9",
    ]);
    expect(t.payment).toMatchObject({ failureReason: "insufficient funds" });
  });

  it.each([
    ["cancelling", (p: Payment) => cancelPayment(p, LATER)],
    ["expiring", (p: Payment) => expirePayment(p, LATER)],
  ])("%s releases every line and nothing else", (_, run) => {
    expect(kinds(run(pendingPayment()))).toEqual([
      "StockUpdated:RELEASED:7",
      "StockUpdated:RELEASED:9",
    ]);
  });

  it("a partial refund is money only; the full one restocks every line", () => {
    const partial = refundPayment(paymentIn("COMPLETED"), refund(400));
    expect(kinds(partial)).toEqual(["PaymentRefunded"]);
    const full = refundPayment(partial.payment, refund(600));
    expect(kinds(full)).toEqual([
      "PaymentRefunded",
      "StockUpdated:RESTOCKED:7",
      "StockUpdated:RESTOCKED:9",
    ]);
  });
});

describe("refund rules", () => {
  it("adds refunds up exactly: 3.33 + 3.33 + 3.34 of 10.00 is a full refund", () => {
    let payment: Payment = paymentIn("COMPLETED");
    for (const amount of [333, 333, 334]) payment = refundPayment(payment, refund(amount)).payment;
    expect(payment).toMatchObject({ status: "REFUNDED", refundedAmount: 1000n });
    expect(payment.status === "REFUNDED" && payment.refunds.map((r) => r.amount)).toEqual([
      333n,
      333n,
      334n,
    ]);
  });

  it("refunds what is left when no amount is given", () => {
    const partial = refundPayment(paymentIn("COMPLETED"), refund(250)).payment;
    expect(refundableAmount(partial, undefined)).toBe(750n);
  });

  it("refuses a refund beyond what is left, naming the amounts", () => {
    const partial = refundPayment(paymentIn("COMPLETED"), refund(999)).payment;
    expect(() => refundableAmount(partial, cents(2))).toThrow(
      /a refund of 0\.02 exceeds the 0\.01 left to refund .* \(paid 10\.00, refunded 9\.99\)/,
    );
  });

  it("refuses a refund of nothing as malformed", () => {
    expect(() => refundableAmount(paymentIn("COMPLETED"), cents(0))).toThrow(InvalidArgument);
  });

  it("refuses any refund of a payment that cost nothing", () => {
    const free = { ...paymentIn("COMPLETED"), amount: cents(0) } as Payment;
    expect(() => refundableAmount(free, undefined)).toThrow(/nothing left to refund/);
  });
});
