import { describe, expect, it } from "vitest";
import { FailedPrecondition, InvalidArgument } from "#shared/errors";
import { newPendingPayment, parseCheckoutRequest } from "../src/domain/checkout.js";
import { parsePaymentId, parseRefundInput } from "../src/domain/input.js";
import { isUuid, newUuidV7 } from "../src/domain/payment-id.js";
import { createSimulatedProvider } from "../src/provider/simulated-provider.js";
import { cents, T0 } from "./support/payments.js";

const valid = {
  userId: "alice",
  method: "card",
  currency: "",
  idempotencyKey: "",
  description: "",
};

describe("a checkout request", () => {
  it("takes the shop's currency when none is given, and any letter case of it", () => {
    expect(parseCheckoutRequest(valid, "USD")).toMatchObject({ currency: "USD" });
    expect(parseCheckoutRequest({ ...valid, currency: "usd" }, "USD").currency).toBe("USD");
  });

  it("keeps no idempotency key for an empty one", () => {
    expect(parseCheckoutRequest(valid, "USD").idempotencyKey).toBeUndefined();
    expect(parseCheckoutRequest({ ...valid, idempotencyKey: "k1" }, "USD").idempotencyKey).toBe(
      "k1",
    );
  });

  it.each([
    ["user_id", { userId: "" }],
    ["user_id", { userId: "   " }],
    ["user_id", { userId: "x".repeat(129) }],
    ["user_id", { userId: "a\u0000b" }],
    ["method", { method: "" }],
    ["method", { method: "m".repeat(51) }],
    ["currency", { currency: "EUR" }],
    ["idempotency_key", { idempotencyKey: "k".repeat(129) }],
    ["description", { description: "d".repeat(501) }],
  ])("refuses a bad %s as InvalidArgument naming it (%j)", (field, change) => {
    const parse = () => parseCheckoutRequest({ ...valid, ...change }, "USD");
    expect(parse).toThrow(InvalidArgument);
    expect(parse).toThrow(new RegExp(`^${field}: `));
  });
});

describe("a new pending payment", () => {
  const args = {
    id: "p1",
    request: parseCheckoutRequest(valid, "USD"),
    basketId: "b1",
    provider: "simulated",
    now: T0,
    ttlSeconds: 900,
    newItemId: () => "item",
  };

  it("sums price × quantity exactly in cents and expires after the TTL", () => {
    const payment = newPendingPayment({
      ...args,
      lines: [
        { productId: 1n, name: "a", quantity: 3, price: cents(10), category: "" },
        { productId: 2n, name: "b", quantity: 1, price: cents(20), category: "" },
      ],
    });
    expect(payment.amount).toBe(50n);
    expect(payment.items.map((item) => item.subtotal)).toEqual([30n, 20n]);
    expect(payment.expiresAt.getTime() - T0.getTime()).toBe(900_000);
  });

  it("refuses an empty basket", () => {
    expect(() => newPendingPayment({ ...args, lines: [] })).toThrow(
      new FailedPrecondition("basket of user alice is empty"),
    );
  });
});

describe("payment ids", () => {
  it("are version-7 UUIDs that start with the creation time and differ every time", () => {
    const ids = Array.from({ length: 1000 }, () => newUuidV7(T0.getTime()));
    expect(new Set(ids).size).toBe(1000);
    for (const id of ids.slice(0, 20)) {
      expect(isUuid(id)).toBe(true);
      expect(id[14]).toBe("7");
      expect("89ab").toContain(id[19]);
      expect(Number.parseInt(id.replace("-", "").slice(0, 12), 16)).toBe(T0.getTime());
    }
  });

  it("refuses anything else as an id", () => {
    expect(() => parsePaymentId("42")).toThrow(InvalidArgument);
    expect(() => parsePaymentId(newUuidV7().toUpperCase())).toThrow(InvalidArgument);
  });
});

describe("refund input", () => {
  it.each(["0", "0.00", "-1", "1.001", "abc", ""])("refuses the amount %j", (amount) => {
    expect(() => parseRefundInput({ amount, reason: "" })).toThrow(/^amount: /);
  });

  it("means everything left when the amount is absent", () => {
    expect(parseRefundInput({ reason: "late" })).toEqual({ amount: undefined, reason: "late" });
  });
});

describe("the simulated provider", () => {
  const provider = createSimulatedProvider();
  const charge = (token: string) =>
    provider.charge({ paymentId: "p1", amount: cents(100), currency: "USD", token });

  it.each([
    ["tok_visa", { ok: true, providerId: "sim_ch_p1" }],
    ["tok_chargeDeclined", { ok: false, reason: "card declined" }],
    ["tok_insufficientFunds", { ok: false, reason: "insufficient funds" }],
  ])("answers %s the same way every time", async (token, outcome) => {
    expect(await charge(token)).toMatchObject(outcome);
    expect(await charge(token)).toEqual(await charge(token));
  });

  it("refuses an unknown token, listing the known ones", async () => {
    await expect(charge("tok_bogus")).rejects.toThrow(
      /payment_token: unknown test token; .* tok_visa, tok_chargeDeclined, tok_insufficientFunds/,
    );
  });
});
