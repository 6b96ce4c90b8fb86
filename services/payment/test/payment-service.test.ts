import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PaymentStatus } from "#gen/shop/payment/v1/payment_pb";
import { ReservationStatus } from "#gen/shop/product/v1/stock_pb";
import { codeOf } from "#shared-test/code-of";
import { newUuidV7 } from "../src/domain/payment-id.js";
import { countRows, outboxOf } from "./support/database.js";
import {
  basketOf,
  type PaymentHarness,
  pendingCheckout,
  startPaymentHarness,
} from "./support/harness.js";

let h: PaymentHarness;
beforeAll(async () => {
  h = await startPaymentHarness();
});
afterAll(async () => {
  await h?.close();
});

const pending = () => pendingCheckout(h);
const stockOf = (productId: bigint) => h.fakes.products.get(productId)?.stock;
const types = async (id: string) =>
  (await outboxOf(h.pool, id)).map((e) => e.type.split(".").at(-1));

describe("CreatePayment", () => {
  it("prices the basket at the catalogue's current prices and reserves its stock", async () => {
    const basket = basketOf(h.fakes, [{ price: "2.50", quantity: 2, stock: 5 }]);
    const productId = basket.items[0]?.productId ?? 0n;
    h.fakes.products.set(productId, { name: "Cup", price: "2.70", category: "kitchen", stock: 5 });
    const { payment } = await h.client.createPayment({
      userId: basket.userId,
      method: "card",
      description: "birthday",
    });
    expect(payment).toMatchObject({
      userId: basket.userId,
      amount: "5.40",
      currency: "USD",
      status: PaymentStatus.PENDING,
      provider: "simulated",
      refundedAmount: "0.00",
      description: "birthday",
      items: [{ productId, name: "Cup", quantity: 2, price: "2.70", subtotal: "5.40" }],
    });
    expect(payment?.processedAt).toBeUndefined();
    const ttl = Number(payment?.expiresAt?.seconds) - Number(payment?.createdAt?.seconds);
    expect(ttl).toBe(900);
    expect(stockOf(productId)).toBe(3);
    expect(h.fakes.statusOf(payment?.id ?? "")).toBe("RESERVED");
    expect(await outboxOf(h.pool, payment?.id ?? "")).toEqual([]);
  });

  it.each([
    ["a missing basket", () => `nobody-${newUuidV7()}`],
    ["an empty basket", () => h.fakes.newUser([])],
  ])("refuses %s with FailedPrecondition", async (_, user) => {
    const userId = user();
    await expect(h.client.createPayment({ userId, method: "card" })).rejects.toMatchObject({
      code: Code.FailedPrecondition,
      rawMessage: `basket of user ${userId} is empty`,
    });
  });

  it("prices the lines from ReserveStock's answer, asking GetProduct nothing", async () => {
    const basket = basketOf(h.fakes, [
      { price: "1.25", quantity: 2 },
      { price: "3.00", quantity: 1 },
    ]);
    const calls = h.fakes.state.getProductCalls;
    const { payment } = await h.client.createPayment({ userId: basket.userId, method: "card" });
    expect(payment?.amount).toBe("5.50");
    expect(h.fakes.state.getProductCalls).toBe(calls);
  });

  it("asks GetProduct for lines a product service that predates priced reservations leaves out", async () => {
    const basket = basketOf(h.fakes, [{ price: "4.10", quantity: 3 }]);
    const calls = h.fakes.state.getProductCalls;
    h.fakes.state.describeReserved = false;
    try {
      const { payment } = await h.client.createPayment({ userId: basket.userId, method: "card" });
      expect(payment?.items).toMatchObject([{ price: "4.10", subtotal: "12.30" }]);
      expect(h.fakes.state.getProductCalls).toBe(calls + 1);
    } finally {
      h.fakes.state.describeReserved = true;
    }
  });

  it("gives the reservation back when the priced basket cannot be paid (total too large)", async () => {
    const basket = basketOf(h.fakes, [{ price: "9999999999.99", quantity: 2, stock: 5 }]);
    const productId = basket.items[0]?.productId ?? 0n;
    await expect(
      h.client.createPayment({ userId: basket.userId, method: "card" }),
    ).rejects.toMatchObject({ code: Code.FailedPrecondition });
    expect(stockOf(productId)).toBe(5);
    const released = [...h.fakes.reservations.values()].filter((r) =>
      r.lines.some((line) => line.productId === productId),
    );
    expect(released.map((r) => ReservationStatus[r.status])).toEqual(["RELEASED"]);
  });

  it("refuses a basket with a product that no longer exists, naming it", async () => {
    const basket = basketOf(h.fakes, [{ price: "1.00", quantity: 1 }]);
    const productId = basket.items[0]?.productId ?? 0n;
    h.fakes.products.delete(productId);
    await expect(
      h.client.createPayment({ userId: basket.userId, method: "card" }),
    ).rejects.toMatchObject({
      code: Code.FailedPrecondition,
      rawMessage: expect.stringContaining(`product ${productId}`),
    });
  });

  it("refuses a basket short of stock with the product service's words, reserving nothing", async () => {
    const basket = basketOf(h.fakes, [
      { price: "1.00", quantity: 1, stock: 9 },
      { price: "1.00", quantity: 3, stock: 2 },
    ]);
    await expect(
      h.client.createPayment({ userId: basket.userId, method: "card" }),
    ).rejects.toMatchObject({
      code: Code.FailedPrecondition,
      rawMessage: expect.stringContaining("only 2 of product"),
    });
    expect(basket.items.map((i) => stockOf(i.productId))).toEqual([9, 2]);
  });

  it("gives the reservation back when storing the payment fails", async () => {
    const basket = basketOf(h.fakes, [{ price: "1.00", quantity: 2, stock: 5 }]);
    const productId = basket.items[0]?.productId ?? 0n;
    // A name longer than the column: the insert fails after the stock was reserved.
    h.fakes.products.set(productId, {
      name: "n".repeat(201),
      price: "1.00",
      category: "",
      stock: 5,
    });
    expect(await codeOf(h.client.createPayment({ userId: basket.userId, method: "card" }))).toBe(
      Code.Internal,
    );
    expect(stockOf(productId)).toBe(5);
    const reservations = [...h.fakes.reservations.values()].filter((r) =>
      r.lines.some((line) => line.productId === productId),
    );
    expect(reservations.map((r) => r.status)).toEqual([ReservationStatus.RELEASED]);
  });

  it("answers Unavailable when the neighbours are down, and stores nothing", async () => {
    const basket = basketOf(h.fakes, [{ price: "1.00", quantity: 1 }]);
    h.fakes.state.down = true;
    try {
      expect(await codeOf(h.client.createPayment({ userId: basket.userId, method: "card" }))).toBe(
        Code.Unavailable,
      );
    } finally {
      h.fakes.state.down = false;
    }
    const { payments } = await h.client.listUserPayments({ userId: basket.userId });
    expect(payments).toEqual([]);
  });
});

describe("ProcessPayment", () => {
  it("completes with tok_visa: provider reference, stock sold, and its events in the outbox", async () => {
    const { payment, items, userId } = await pending();
    const { payment: done } = await h.client.processPayment({
      id: payment.id,
      paymentToken: "tok_visa",
    });
    expect(done).toMatchObject({
      status: PaymentStatus.COMPLETED,
      providerId: `sim_ch_${payment.id}`,
    });
    expect(done?.processedAt).toBeDefined();
    expect(h.fakes.statusOf(payment.id)).toBe("COMMITTED");
    expect(items.map((i) => stockOf(i.productId))).toEqual([3, 4]);
    const events = await outboxOf(h.pool, payment.id);
    // A payment's lines, and so its stock events, are in product id order.
    const lines = [...items].sort((a, b) => (a.productId < b.productId ? -1 : 1));
    expect(events.map((e) => [e.topic, e.key, e.type])).toEqual([
      ["payment-events", payment.id, "shop.events.v1.PaymentCompleted"],
      ["stock-events", String(lines[0]?.productId), "shop.events.v1.StockUpdated"],
      ["stock-events", String(lines[1]?.productId), "shop.events.v1.StockUpdated"],
      ["basket-events", userId, "shop.events.v1.BasketCleared"],
    ]);
    expect(events[0]?.payload).toMatchObject({
      paymentId: payment.id,
      amount: "10.00",
      currency: "USD",
    });
    expect(events[1]?.payload).toEqual({
      productId: String(lines[0]?.productId),
      paymentId: payment.id,
      quantity: lines[0]?.quantity,
      reason: "STOCK_CHANGE_REASON_SOLD",
    });
    expect(new Set(events.map((e) => e.eventId)).size).toBe(4);
  });

  it.each([
    ["tok_chargeDeclined", "card declined"],
    ["tok_insufficientFunds", "insufficient funds"],
  ])(
    "answers a FAILED payment (not an error) for %s, and gives the stock back",
    async (token, reason) => {
      const { payment, items } = await pending();
      const { payment: failed } = await h.client.processPayment({
        id: payment.id,
        paymentToken: token,
      });
      expect(failed).toMatchObject({ status: PaymentStatus.FAILED, failureReason: reason });
      expect(items.map((i) => stockOf(i.productId))).toEqual([5, 5]);
      expect(await types(payment.id)).toEqual(["PaymentFailed", "StockUpdated", "StockUpdated"]);
      const released = (await outboxOf(h.pool, payment.id))[1]?.payload;
      expect(released).toMatchObject({ reason: "STOCK_CHANGE_REASON_RELEASED" });
    },
  );

  it("expires a payment whose time ran out and answers FailedPrecondition", async () => {
    const { payment, items } = await pending();
    h.advanceClock(901_000);
    try {
      await expect(
        h.client.processPayment({ id: payment.id, paymentToken: "tok_visa" }),
      ).rejects.toMatchObject({
        code: Code.FailedPrecondition,
        rawMessage: expect.stringContaining("expired"),
      });
    } finally {
      h.advanceClock(-901_000);
    }
    expect((await h.client.getPayment({ id: payment.id })).payment?.status).toBe(
      PaymentStatus.EXPIRED,
    );
    expect(items.map((i) => stockOf(i.productId))).toEqual([5, 5]);
    expect(await types(payment.id)).toEqual(["StockUpdated", "StockUpdated"]);
  });
});

describe("CancelPayment and RefundPayment", () => {
  it("cancels a PENDING payment and gives its stock back", async () => {
    const { payment, items } = await pending();
    const { payment: cancelled } = await h.client.cancelPayment({ id: payment.id });
    expect(cancelled?.status).toBe(PaymentStatus.CANCELLED);
    expect(items.map((i) => stockOf(i.productId))).toEqual([5, 5]);
    expect(await types(payment.id)).toEqual(["StockUpdated", "StockUpdated"]);
  });

  it("refunds 10.00 as 3.33 + 3.33 + 3.34 exactly, then refuses even 0.01 more", async () => {
    const { payment } = await pending();
    await h.client.processPayment({ id: payment.id, paymentToken: "tok_visa" });
    const totals: string[] = [];
    for (const amount of ["3.33", "3.33", "3.34"]) {
      const res = await h.admin.refundPayment({ id: payment.id, amount, reason: "return" });
      expect(res.refund?.amount).toBe(amount);
      totals.push(res.payment?.refundedAmount ?? "");
    }
    expect(totals).toEqual(["3.33", "6.66", "10.00"]);
    const { payment: final } = await h.client.getPayment({ id: payment.id });
    expect(final?.status).toBe(PaymentStatus.REFUNDED);
    expect(final?.refunds.map((r) => r.amount)).toEqual(["3.33", "3.33", "3.34"]);
    expect(await codeOf(h.admin.refundPayment({ id: payment.id, amount: "0.01" }))).toBe(
      Code.FailedPrecondition,
    );
    const refunded = (await outboxOf(h.pool, payment.id)).filter((e) =>
      e.type.endsWith("Refunded"),
    );
    expect(refunded.map((e) => [e.payload.refundedTotal, e.payload.full])).toEqual([
      ["3.33", false],
      ["6.66", false],
      ["10.00", true],
    ]);
    expect((await types(payment.id)).slice(-2)).toEqual(["StockUpdated", "StockUpdated"]);
  });

  it("refunds everything left when no amount is given", async () => {
    const { payment } = await pending();
    await h.client.processPayment({ id: payment.id, paymentToken: "tok_visa" });
    await h.admin.refundPayment({ id: payment.id, amount: "4.00" });
    const res = await h.admin.refundPayment({ id: payment.id });
    expect(res.refund?.amount).toBe("6.00");
    expect(res.payment).toMatchObject({ status: PaymentStatus.REFUNDED, refundedAmount: "10.00" });
  });

  it("refuses a refund above what is left, naming the amounts, and changes nothing", async () => {
    const { payment } = await pending();
    await h.client.processPayment({ id: payment.id, paymentToken: "tok_visa" });
    await expect(h.admin.refundPayment({ id: payment.id, amount: "10.01" })).rejects.toMatchObject({
      code: Code.FailedPrecondition,
      rawMessage: expect.stringContaining("a refund of 10.01 exceeds the 10.00 left"),
    });
    expect(await countRows(h.pool, "refunds", payment.id)).toBe(0);
  });
});
