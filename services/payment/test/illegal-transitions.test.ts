import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codeOf } from "#shared-test/code-of";
import { newUuidV7 } from "../src/domain/payment-id.js";
import { countRows, outboxOf } from "./support/database.js";
import {
  type PaymentHarness,
  pendingCheckout,
  startPaymentHarness,
  TTL_SECONDS,
} from "./support/harness.js";

let h: PaymentHarness;
beforeAll(async () => {
  h = await startPaymentHarness();
});
afterAll(async () => {
  await h?.close();
});

const pending = () => pendingCheckout(h);

/** Drives a fresh payment into `status` through the RPCs. */
async function paymentIn(status: string): Promise<string> {
  const { payment } = await pending();
  const id = payment.id;
  if (status === "COMPLETED" || status === "REFUNDED") {
    await h.client.processPayment({ id, paymentToken: "tok_visa" });
  }
  if (status === "REFUNDED") await h.admin.refundPayment({ id });
  if (status === "FAILED")
    await h.client.processPayment({ id, paymentToken: "tok_chargeDeclined" });
  if (status === "CANCELLED") await h.client.cancelPayment({ id });
  if (status === "EXPIRED") {
    // Past its time, the next command expires it (and is itself refused).
    h.advanceClock((TTL_SECONDS + 1) * 1000);
    await codeOf(h.client.cancelPayment({ id })).finally(() =>
      h.advanceClock(-(TTL_SECONDS + 1) * 1000),
    );
  }
  return id;
}

describe("every illegal transition through the RPCs", () => {
  const calls = {
    ProcessPayment: (id: string) => h.client.processPayment({ id, paymentToken: "tok_visa" }),
    CancelPayment: (id: string) => h.client.cancelPayment({ id }),
    RefundPayment: (id: string) => h.admin.refundPayment({ id }),
  };
  const cases = [
    ["ProcessPayment", "COMPLETED"],
    ["ProcessPayment", "FAILED"],
    ["ProcessPayment", "CANCELLED"],
    ["ProcessPayment", "REFUNDED"],
    ["ProcessPayment", "EXPIRED"],
    ["CancelPayment", "COMPLETED"],
    ["CancelPayment", "FAILED"],
    ["CancelPayment", "CANCELLED"],
    ["CancelPayment", "REFUNDED"],
    ["CancelPayment", "EXPIRED"],
    ["RefundPayment", "PENDING"],
    ["RefundPayment", "FAILED"],
    ["RefundPayment", "CANCELLED"],
    ["RefundPayment", "REFUNDED"],
    ["RefundPayment", "EXPIRED"],
  ] as const;

  it.each(cases)(
    "%s of a %s payment is FailedPrecondition naming the state; nothing changes",
    async (rpc, status) => {
      const id = await paymentIn(status);
      const before = await h.client.getPayment({ id });
      const eventsBefore = await outboxOf(h.pool, id);
      await expect(calls[rpc](id)).rejects.toMatchObject({
        code: Code.FailedPrecondition,
        rawMessage: expect.stringMatching(
          new RegExp(`^payment ${id} is ${status}; only a (PENDING|COMPLETED) payment`),
        ),
      });
      expect(await h.client.getPayment({ id })).toEqual(before);
      expect(await outboxOf(h.pool, id)).toEqual(eventsBefore);
    },
  );

  it("answers NotFound for an unknown payment id", async () => {
    const id = newUuidV7();
    for (const call of [...Object.values(calls), (x: string) => h.client.getPayment({ id: x })]) {
      expect(await codeOf(call(id))).toBe(Code.NotFound);
    }
  });
});

describe("bad input", () => {
  it.each([
    ["CreatePayment without user_id", () => h.client.createPayment({ method: "card" }), "user_id"],
    ["CreatePayment without method", () => h.client.createPayment({ userId: "u" }), "method"],
    [
      "CreatePayment in another currency",
      () => h.client.createPayment({ userId: "u", method: "card", currency: "EUR" }),
      "currency",
    ],
    ["GetPayment with a malformed id", () => h.client.getPayment({ id: "42" }), "id"],
    ["ListPayments with page_size 501", () => h.admin.listPayments({ pageSize: 501 }), "page_size"],
    ["ListUserPayments without user", () => h.client.listUserPayments({}), "user_id"],
  ])("%s is InvalidArgument naming the field", async (_, call, field) => {
    await expect(call()).rejects.toMatchObject({
      code: Code.InvalidArgument,
      rawMessage: expect.stringMatching(new RegExp(`^${field}: `)),
    });
  });

  it.each([
    ["an unknown token", { paymentToken: "tok_bogus" }, "payment_token"],
    ["no token", { paymentToken: "" }, "payment_token"],
  ])(
    "ProcessPayment with %s is InvalidArgument and leaves the payment PENDING",
    async (_, req, field) => {
      const { payment } = await pending();
      await expect(h.client.processPayment({ id: payment.id, ...req })).rejects.toMatchObject({
        code: Code.InvalidArgument,
        rawMessage: expect.stringMatching(new RegExp(`^${field}: `)),
      });
      expect((await h.client.getPayment({ id: payment.id })).payment).toEqual(payment);
      expect(await outboxOf(h.pool, payment.id)).toEqual([]);
    },
  );

  it.each(["0", "-1", "1.001", "ten"])(
    "RefundPayment of %j is InvalidArgument; nothing is refunded",
    async (amount) => {
      const { payment } = await pending();
      await h.client.processPayment({ id: payment.id, paymentToken: "tok_visa" });
      expect(await codeOf(h.admin.refundPayment({ id: payment.id, amount }))).toBe(
        Code.InvalidArgument,
      );
      expect(await countRows(h.pool, "refunds", payment.id)).toBe(0);
    },
  );
});
