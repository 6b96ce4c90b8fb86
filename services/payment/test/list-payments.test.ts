import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PaymentStatus } from "#gen/shop/payment/v1/payment_pb";
import { codeOf } from "#shared-test/code-of";
import { basketOf, type PaymentHarness, startPaymentHarness } from "./support/harness.js";

let h: PaymentHarness;
beforeAll(async () => {
  h = await startPaymentHarness();
});
afterAll(async () => {
  await h?.close();
});

/** `n` payments of one fresh user, oldest first; every third one is processed. */
async function userWithPayments(n: number) {
  const { userId, items } = basketOf(h.fakes, [{ price: "0.99", quantity: 1, stock: 1000 }]);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const { payment } = await h.client.createPayment({ userId, method: "card" });
    const id = payment?.id ?? "";
    if (i % 3 === 0) await h.client.processPayment({ id, paymentToken: "tok_visa" });
    ids.push(id);
  }
  return { userId, ids, productId: items[0]?.productId };
}

describe("ListUserPayments and ListPayments", () => {
  it("pages through a user's payments newest first, with items and refunds, none twice", async () => {
    const { userId, ids } = await userWithPayments(7);
    await h.admin.refundPayment({ id: ids[0] ?? "", amount: "0.10", reason: "scratch" });
    const seen: string[] = [];
    let pageToken = "";
    let pages = 0;
    do {
      const page = await h.client.listUserPayments({ userId, pageSize: 3, pageToken });
      expect(page.payments.length).toBeLessThanOrEqual(3);
      for (const payment of page.payments) {
        expect(payment.items).toHaveLength(1);
        seen.push(payment.id);
      }
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken !== "");
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
    const { payments } = await h.client.listUserPayments({ userId, pageSize: 500 });
    expect(payments.at(-1)?.refunds.map((r) => [r.amount, r.reason])).toEqual([
      ["0.10", "scratch"],
    ]);
  });

  it("filters by status, and ListPayments by user and status", async () => {
    const { userId, ids } = await userWithPayments(5);
    const completed = await h.client.listUserPayments({ userId, status: PaymentStatus.COMPLETED });
    expect(completed.payments.map((p) => p.id)).toEqual([ids[3], ids[0]]);
    const pending = await h.admin.listPayments({ userId, status: PaymentStatus.PENDING });
    expect(pending.payments.map((p) => p.id)).toEqual([ids[4], ids[2], ids[1]]);
    const all = await h.admin.listPayments({ pageSize: 2 });
    expect(all.payments).toHaveLength(2);
    expect(all.nextPageToken).not.toBe("");
  });

  it("refuses a page token on another user's list or another filter", async () => {
    const a = await userWithPayments(3);
    const b = await userWithPayments(1);
    const { nextPageToken } = await h.client.listUserPayments({ userId: a.userId, pageSize: 1 });
    expect(nextPageToken).not.toBe("");
    for (const call of [
      h.client.listUserPayments({ userId: b.userId, pageToken: nextPageToken }),
      h.client.listUserPayments({
        userId: a.userId,
        status: PaymentStatus.PENDING,
        pageToken: nextPageToken,
      }),
      h.client.listUserPayments({ userId: a.userId, pageToken: "garbage!" }),
      h.admin.listPayments({ status: 99 as PaymentStatus }),
    ]) {
      expect(await codeOf(call)).toBe(Code.InvalidArgument);
    }
  });

  it("answers an empty list (not NotFound) for a user without payments", async () => {
    const { payments, nextPageToken } = await h.client.listUserPayments({ userId: "no-payments" });
    expect({ payments, nextPageToken }).toEqual({ payments: [], nextPageToken: "" });
  });
});
