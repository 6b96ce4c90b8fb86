import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PaymentStatus } from "#gen/shop/payment/v1/payment_pb";
import { outboxOf } from "./support/database.js";
import {
  basketOf,
  type PaymentHarness,
  startPaymentHarness,
  TTL_SECONDS,
} from "./support/harness.js";

// The sweeper expires every due payment in its database, so this suite has a database of its own.
let h: PaymentHarness;
let other: PaymentHarness;
beforeAll(async () => {
  h = await startPaymentHarness({ dbSuffix: "_sweeper" });
  other = await startPaymentHarness({ dbSuffix: "_sweeper" });
});
afterAll(async () => {
  await h?.close();
  await other?.close();
});

async function pendingPayments(n: number) {
  const created = [];
  for (let i = 0; i < n; i++) {
    const basket = basketOf(h.fakes, [{ price: "1.25", quantity: 2, stock: 4 }]);
    const { payment } = await h.client.createPayment({ userId: basket.userId, method: "card" });
    created.push({ id: payment?.id ?? "", productId: basket.items[0]?.productId ?? 0n });
  }
  return created;
}

describe("the expiry sweeper", () => {
  it("leaves PENDING payments alone until their time runs out", async () => {
    const [fresh] = await pendingPayments(1);
    await h.sweeper.sweepOnce();
    const { payment } = await h.client.getPayment({ id: fresh?.id ?? "" });
    expect(payment?.status).toBe(PaymentStatus.PENDING);
  });

  it("expires stale PENDING payments in batches, releasing their stock with events", async () => {
    const stale = await pendingPayments(5);
    const [done] = await pendingPayments(1);
    await h.client.processPayment({ id: done?.id ?? "", paymentToken: "tok_visa" });
    h.advanceClock((TTL_SECONDS + 1) * 1000);
    try {
      expect(await h.sweeper.sweepOnce()).toBeGreaterThanOrEqual(5);
    } finally {
      h.advanceClock(-(TTL_SECONDS + 1) * 1000);
    }
    for (const { id, productId } of stale) {
      const { payment } = await h.client.getPayment({ id });
      expect(payment?.status).toBe(PaymentStatus.EXPIRED);
      expect(payment?.processedAt).toBeDefined();
      expect(h.fakes.products.get(productId)?.stock).toBe(4);
      const events = await outboxOf(h.pool, id);
      expect(events.map((e) => e.payload.reason)).toEqual(["STOCK_CHANGE_REASON_RELEASED"]);
    }
    const { payment: completed } = await h.client.getPayment({ id: done?.id ?? "" });
    expect(completed?.status).toBe(PaymentStatus.COMPLETED);
  });

  it("shares the work between instances: each stale payment expires exactly once", async () => {
    const stale = await pendingPayments(12);
    const later = (TTL_SECONDS + 1) * 1000;
    h.advanceClock(later);
    other.advanceClock(later);
    try {
      await Promise.all([h.sweeper.sweepOnce(), other.sweeper.sweepOnce(), h.sweeper.sweepOnce()]);
    } finally {
      h.advanceClock(-later);
      other.advanceClock(-later);
    }
    for (const { id } of stale) {
      expect((await h.client.getPayment({ id })).payment?.status).toBe(PaymentStatus.EXPIRED);
      expect(await outboxOf(h.pool, id)).toHaveLength(1);
    }
  });

  it("runs on its own once started, and stops cleanly", async () => {
    const [stale] = await pendingPayments(1);
    h.advanceClock((TTL_SECONDS + 1) * 1000);
    h.sweeper.start();
    try {
      await expect
        .poll(async () => (await h.client.getPayment({ id: stale?.id ?? "" })).payment?.status, {
          timeout: 20_000,
        })
        .toBe(PaymentStatus.EXPIRED);
    } finally {
      await h.sweeper.stop();
      h.advanceClock(-(TTL_SECONDS + 1) * 1000);
    }
  });
});
