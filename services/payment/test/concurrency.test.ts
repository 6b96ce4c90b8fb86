import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PaymentStatus } from "#gen/shop/payment/v1/payment_pb";
import { outboxOf } from "./support/database.js";
import { basketOf, type PaymentHarness, startPaymentHarness } from "./support/harness.js";

let h: PaymentHarness;
beforeAll(async () => {
  h = await startPaymentHarness();
});
afterAll(async () => {
  await h?.close();
});

const codes = (results: PromiseSettledResult<unknown>[]) =>
  results.map((r) => (r.status === "fulfilled" ? "ok" : Code[ConnectError.from(r.reason).code]));
const count = (list: string[], value: string) => list.filter((x) => x === value).length;

describe("concurrent transitions of one payment", () => {
  it("lets exactly one of 10 concurrent process/cancel calls win; one set of events", async () => {
    const { userId } = basketOf(h.fakes, [{ price: "4.20", quantity: 2, stock: 2 }]);
    const { payment } = await h.client.createPayment({ userId, method: "card" });
    const id = payment?.id ?? "";
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        i % 2 === 0
          ? h.client.processPayment({ id, paymentToken: "tok_visa" })
          : h.client.cancelPayment({ id }),
      ),
    );
    const outcome = codes(results);
    expect(count(outcome, "ok")).toBe(1);
    expect(count(outcome, "FailedPrecondition")).toBe(9);
    const { payment: final } = await h.client.getPayment({ id });
    const events = (await outboxOf(h.pool, id)).map((e) => e.type.split(".").at(-1));
    expect(events).toEqual(
      final?.status === PaymentStatus.COMPLETED
        ? ["PaymentCompleted", "StockUpdated", "BasketCleared"]
        : ["StockUpdated"],
    );
  });

  it("never lets concurrent refunds add up to more than was paid", async () => {
    const { userId } = basketOf(h.fakes, [{ price: "10.00", quantity: 1 }]);
    const { payment } = await h.client.createPayment({ userId, method: "card" });
    const id = payment?.id ?? "";
    await h.client.processPayment({ id, paymentToken: "tok_visa" });
    // 8 × 3.00 asked against 10.00: exactly three fit.
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => h.admin.refundPayment({ id, amount: "3.00" })),
    );
    const outcome = codes(results);
    expect(count(outcome, "ok")).toBe(3);
    expect(count(outcome, "FailedPrecondition")).toBe(5);
    const { payment: final } = await h.client.getPayment({ id });
    expect(final).toMatchObject({ status: PaymentStatus.COMPLETED, refundedAmount: "9.00" });
    expect(final?.refunds).toHaveLength(3);
  });
});

describe("idempotency keys", () => {
  it("returns the original payment on a sequential retry, doing no new work", async () => {
    const basket = basketOf(h.fakes, [{ price: "1.50", quantity: 2, stock: 10 }]);
    const request = { userId: basket.userId, method: "card", idempotencyKey: "order-7" };
    const first = (await h.client.createPayment(request)).payment;
    const again = (await h.client.createPayment(request)).payment;
    expect(again).toEqual(first);
    expect(h.fakes.products.get(basket.items[0]?.productId ?? 0n)?.stock).toBe(8);
    // Also after the payment moved on: the key names that payment, whatever its state.
    await h.client.processPayment({ id: first?.id ?? "", paymentToken: "tok_visa" });
    const later = (await h.client.createPayment(request)).payment;
    expect(later).toMatchObject({ id: first?.id, status: PaymentStatus.COMPLETED });
    const { payments } = await h.client.listUserPayments({ userId: basket.userId });
    expect(payments).toHaveLength(1);
  });

  it("makes one payment of 20 racing requests with one key; the other reservations are released", async () => {
    const basket = basketOf(h.fakes, [{ price: "2.00", quantity: 1, stock: 50 }]);
    const productId = basket.items[0]?.productId ?? 0n;
    const request = { userId: basket.userId, method: "card", idempotencyKey: "race-1" };
    const results = await Promise.all(
      Array.from({ length: 20 }, () => h.client.createPayment(request)),
    );
    const ids = new Set(results.map((r) => r.payment?.id));
    expect(ids.size).toBe(1);
    const [winner] = [...ids] as [string];
    const { payments } = await h.client.listUserPayments({ userId: basket.userId });
    expect(payments.map((p) => p.id)).toEqual([winner]);
    const held = [...h.fakes.reservations.entries()].filter(([, r]) =>
      r.lines.some((line) => line.productId === productId),
    );
    const reserved = held.filter(([rid]) => h.fakes.statusOf(rid) === "RESERVED");
    expect(reserved.map(([rid]) => rid)).toEqual([winner]);
    expect(held.every(([rid]) => rid === winner || h.fakes.statusOf(rid) === "RELEASED")).toBe(
      true,
    );
    expect(h.fakes.products.get(productId)?.stock).toBe(49);
  });

  it("keeps keys apart per user: the same key from two users makes two payments", async () => {
    const a = basketOf(h.fakes, [{ price: "1.00", quantity: 1 }]);
    const b = basketOf(h.fakes, [{ price: "1.00", quantity: 1 }]);
    const pa = await h.client.createPayment({
      userId: a.userId,
      method: "card",
      idempotencyKey: "k",
    });
    const pb = await h.client.createPayment({
      userId: b.userId,
      method: "card",
      idempotencyKey: "k",
    });
    expect(pa.payment?.id).not.toBe(pb.payment?.id);
  });
});

describe("checkouts on low stock", () => {
  it("lets exactly stock-many of many concurrent checkouts reserve; the rest are refused", async () => {
    const productId = h.fakes.newProduct({ price: "3.00", stock: 3 });
    const users = Array.from({ length: 10 }, () => h.fakes.newUser([{ productId, quantity: 1 }]));
    const results = await Promise.allSettled(
      users.map(async (userId) => {
        const { payment } = await h.client.createPayment({ userId, method: "card" });
        return h.client.processPayment({ id: payment?.id ?? "", paymentToken: "tok_visa" });
      }),
    );
    const outcome = codes(results);
    expect(count(outcome, "ok")).toBe(3);
    expect(count(outcome, "FailedPrecondition")).toBe(7);
    expect(h.fakes.products.get(productId)?.stock).toBe(0);
  });
});
