import { randomUUID } from "node:crypto";
import type { Cents } from "#shared/money";
import type { Payment, PaymentStatus, PendingPayment } from "../../src/domain/payment.js";
import { newUuidV7 } from "../../src/domain/payment-id.js";

export const T0 = new Date("2026-01-02T03:04:05.678Z");
export const cents = (value: number | bigint) => BigInt(value) as Cents;

/** A PENDING payment of 10.00 (2 × 2.50 + 1 × 5.00), expiring 15 minutes after T0. */
export function pendingPayment(overrides: Partial<PendingPayment> = {}): PendingPayment {
  return {
    status: "PENDING",
    id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
    userId: "alice",
    basketId: "basket-1",
    amount: cents(1000),
    currency: "USD",
    method: "card",
    provider: "simulated",
    description: "",
    metadata: {},
    idempotencyKey: undefined,
    items: [
      {
        id: "i1",
        productId: 7n,
        name: "Cup",
        quantity: 2,
        price: cents(250),
        subtotal: cents(500),
        category: "kitchen",
      },
      {
        id: "i2",
        productId: 9n,
        name: "Jug",
        quantity: 1,
        price: cents(500),
        subtotal: cents(500),
        category: "",
      },
    ],
    createdAt: T0,
    updatedAt: T0,
    expiresAt: new Date(T0.getTime() + 15 * 60_000),
    ...overrides,
  };
}

/**
 * `pendingPayment` with new ids, a user of its own and times from now (expiring in 15 minutes),
 * so that tests storing it in a shared database never meet each other's rows.
 */
export function freshPendingPayment(overrides: Partial<PendingPayment> = {}): PendingPayment {
  const now = new Date();
  const base = pendingPayment();
  return pendingPayment({
    id: newUuidV7(),
    userId: `user-${randomUUID()}`,
    createdAt: now,
    updatedAt: now,
    expiresAt: new Date(now.getTime() + 900_000),
    items: base.items.map((item) => ({ ...item, id: newUuidV7() })),
    ...overrides,
  });
}

/** The same payment in any status, with plausible fields for it. */
export function paymentIn(status: PaymentStatus): Payment {
  const base = pendingPayment();
  const processedAt = new Date(T0.getTime() + 1000);
  const charged = { processedAt, providerId: "sim_ch", refundedAmount: cents(0), refunds: [] };
  switch (status) {
    case "PENDING":
      return base;
    case "COMPLETED":
      return { ...base, ...charged, status };
    case "REFUNDED":
      return { ...base, ...charged, refundedAmount: cents(1000), status };
    case "FAILED":
      return { ...base, status, processedAt, failureReason: "card declined", providerId: "" };
    case "CANCELLED":
    case "EXPIRED":
      return { ...base, status, processedAt };
  }
}
