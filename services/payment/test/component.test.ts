import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PaymentService, PaymentStatus } from "#gen/shop/payment/v1/payment_pb";
import { asUser, bearer } from "#shared-test/auth";
import { loadGrpcJsClient } from "#shared-test/grpc-js-client";
import { basketOf, type PaymentHarness, startPaymentHarness } from "./support/harness.js";

let h: PaymentHarness;
beforeAll(async () => {
  h = await startPaymentHarness();
});
afterAll(async () => {
  await h?.close();
});

/** A curl-like Connect JSON call as user `user`. */
const post = async (path: string, body: unknown, user: string) =>
  fetch(`${h.baseUrl}/shop.payment.v1.PaymentService/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(await bearer(user)) },
    body: JSON.stringify(body),
  });

describe("the payment service on a real port", () => {
  it("checks out over plain Connect JSON (curl-like): create, process, read", async () => {
    const { userId } = basketOf(h.fakes, [{ price: "4.20", quantity: 2 }]);
    const created = await post("CreatePayment", { user_id: userId, method: "card" }, userId);
    expect(created.status).toBe(200);
    const { payment } = (await created.json()) as { payment: Record<string, unknown> };
    expect(payment).toMatchObject({
      userId,
      amount: "8.40",
      currency: "USD",
      status: "PAYMENT_STATUS_PENDING",
      refundedAmount: "0.00",
    });
    const processed = await post(
      "ProcessPayment",
      { id: payment.id, paymentToken: "tok_visa" },
      userId,
    );
    expect(((await processed.json()) as { payment: { status: string } }).payment.status).toBe(
      "PAYMENT_STATUS_COMPLETED",
    );
  });

  it("answers errors in the Connect shape with the HTTP status of the code", async () => {
    const missing = await post("GetPayment", { id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b" }, "u");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      code: "not_found",
      message: "payment 0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b not found",
    });
    const declined = await post(
      "CreatePayment",
      { user_id: "u", method: "card", currency: "EUR" },
      "u",
    );
    expect(declined.status).toBe(400);
    expect(((await declined.json()) as { code: string }).code).toBe("invalid_argument");
  });

  it.each([
    [
      "Connect binary over HTTP/1.1",
      (user: string) =>
        createConnectTransport({
          baseUrl: h.baseUrl,
          httpVersion: "1.1",
          interceptors: [asUser(user)],
        }),
    ],
    [
      "gRPC-Web over HTTP/1.1",
      (user: string) =>
        createGrpcWebTransport({
          baseUrl: h.baseUrl,
          httpVersion: "1.1",
          interceptors: [asUser(user)],
        }),
    ],
  ])("serves the generated client over %s", async (_, transport) => {
    const { userId } = basketOf(h.fakes, [{ price: "1.00", quantity: 1 }]);
    const client = createClient(PaymentService, transport(userId));
    const { payment } = await client.createPayment({ userId, method: "card" });
    const { payment: declined } = await client.processPayment({
      id: payment?.id ?? "",
      paymentToken: "tok_chargeDeclined",
    });
    expect(declined).toMatchObject({
      status: PaymentStatus.FAILED,
      failureReason: "card declined",
    });
  });

  it("serves a @grpc/grpc-js client built from the .proto at run time", async () => {
    const client = loadGrpcJsClient(
      "shop/payment/v1/payment.proto",
      "shop.payment.v1.PaymentService",
      `127.0.0.1:${h.port}`,
    );
    try {
      const { userId } = basketOf(h.fakes, [{ price: "0.10", quantity: 3 }]);
      const owner = await bearer(userId);
      const created = await client.call<{ payment: { id: string; amount: string } }>(
        "CreatePayment",
        {
          userId,
          method: "card",
          idempotencyKey: "grpc-js",
        },
        owner,
      );
      expect(created.payment.amount).toBe("0.30");
      await client.call(
        "ProcessPayment",
        { id: created.payment.id, paymentToken: "tok_visa" },
        owner,
      );
      const refunded = await client.call<{
        payment: { status: string };
        refund: { amount: string };
      }>(
        "RefundPayment",
        { id: created.payment.id, amount: "0.10" },
        await bearer("ops", { admin: true }),
      );
      expect(refunded.refund.amount).toBe("0.10");
      await expect(
        client.call("CancelPayment", { id: created.payment.id }, owner),
      ).rejects.toMatchObject({
        code: grpc.status.FAILED_PRECONDITION,
      });
    } finally {
      client.close();
    }
  });

  it("is ready while MariaDB answers", async () => {
    expect((await fetch(`${h.baseUrl}/ready`)).status).toBe(200);
    expect((await fetch(`${h.baseUrl}/health`)).status).toBe(200);
  });
});
