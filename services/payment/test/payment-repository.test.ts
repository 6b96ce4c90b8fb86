import { randomUUID } from "node:crypto";
import type { Pool } from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FailedPrecondition, NotFound } from "#shared/errors";
import { createPaymentQueries } from "../src/db/payment-reads.js";
import {
  createPaymentRepository,
  DuplicateIdempotencyKey,
  type PaymentRepository,
} from "../src/db/payment-repository.js";
import type { PaymentItem, PendingPayment } from "../src/domain/payment.js";
import { newUuidV7 } from "../src/domain/payment-id.js";
import { cancelPayment, completePayment } from "../src/domain/transitions.js";
import { countRows, openTestDatabase, outboxOf } from "./support/database.js";
import { freshPendingPayment, pendingPayment } from "./support/payments.js";

let pool: Pool;
let repository: PaymentRepository;
let queries: ReturnType<typeof createPaymentQueries>;

beforeAll(async () => {
  pool = await openTestDatabase();
  repository = createPaymentRepository(pool);
  queries = createPaymentQueries(pool);
});
afterAll(async () => {
  await pool?.end();
});

/** A fresh PENDING payment (new ids, a fresh user) stored in the database. */
async function stored(overrides: Partial<PendingPayment> = {}): Promise<PendingPayment> {
  const payment = freshPendingPayment(overrides);
  await repository.insertPending(payment);
  return payment;
}

describe("the payment repository on MariaDB", () => {
  it("stores a pending payment with its items and reads it back exactly", async () => {
    const payment = await stored({ metadata: { channel: "web" }, idempotencyKey: "k" });
    expect(await queries.get(payment.id)).toEqual(payment);
  });

  it("answers NotFound for an unknown payment, on reads and on updates", async () => {
    const id = newUuidV7();
    await expect(queries.get(id)).rejects.toThrow(NotFound);
    await expect(
      repository.update(id, async () => cancelPayment(pendingPayment(), new Date())),
    ).rejects.toThrow(NotFound);
  });

  it("saves a transition and its events in one commit", async () => {
    const payment = await stored();
    const at = new Date();
    await repository.update(payment.id, async (current) =>
      completePayment(current, { providerId: "ch_1", at }),
    );
    expect(await queries.get(payment.id)).toMatchObject({
      status: "COMPLETED",
      providerId: "ch_1",
    });
    const events = await outboxOf(pool, payment.id);
    expect(events.map((e) => e.type)).toEqual([
      "shop.events.v1.PaymentCompleted",
      "shop.events.v1.StockUpdated",
      "shop.events.v1.StockUpdated",
      "shop.events.v1.BasketCleared",
    ]);
  });

  it("changes nothing when the closure throws before saving", async () => {
    const payment = await stored();
    const failure = repository.update(payment.id, async () => {
      throw new Error("provider blew up");
    });
    await expect(failure).rejects.toThrow("provider blew up");
    expect(await queries.get(payment.id)).toEqual(payment);
    expect(await outboxOf(pool, payment.id)).toEqual([]);
  });

  it("rolls back a saved state change when its outbox write fails: no change, no event", async () => {
    const payment = await stored();
    // Item names of 40 000 characters make the PaymentCompleted payload overflow the TEXT
    // column: the payment row is updated first, then the outbox insert fails in the same
    // transaction.
    const failure = repository.update(payment.id, async (current) => {
      const items = current.items.map((item) => ({ ...item, name: "x".repeat(40_000) }));
      return completePayment({ ...current, items }, { providerId: "ch", at: new Date() });
    });
    const error = await failure.catch((e: Error) => e);
    expect(String((error as Error).cause)).toMatch(/too long/i);
    expect(await queries.get(payment.id)).toEqual(payment);
    expect(await outboxOf(pool, payment.id)).toEqual([]);
  });

  it("leaves no payment, no item and no outbox row when the insert fails half-way", async () => {
    const id = newUuidV7();
    const [line] = pendingPayment().items as [PaymentItem];
    const broken = pendingPayment({
      id,
      userId: `user-${randomUUID()}`,
      // The second item breaks the CHECK (quantity > 0) after the payment row was written.
      items: [
        { ...line, id: newUuidV7() },
        { ...line, id: newUuidV7(), productId: 8n, quantity: 0 },
      ],
    });
    const error = await repository.insertPending(broken).catch((e: Error) => e);
    expect(String((error as Error).cause)).toMatch(/CONSTRAINT .payment_items_quantity_positive/);
    expect(await countRows(pool, "payments", id)).toBe(0);
    expect(await countRows(pool, "payment_items", id)).toBe(0);
    expect(await outboxOf(pool, id)).toEqual([]);
  });

  it("lets exactly one of many concurrent transitions of one payment win", async () => {
    const payment = await stored();
    const attempts = Array.from({ length: 10 }, (_, i) =>
      repository.update(payment.id, async (current) =>
        i % 2 === 0
          ? completePayment(current, { providerId: `ch_${i}`, at: new Date() })
          : cancelPayment(current, new Date()),
      ),
    );
    const results = await Promise.allSettled(attempts);
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r) => r.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost.every((r) => r.reason instanceof FailedPrecondition)).toBe(true);
    const events = await outboxOf(pool, payment.id);
    const final = await queries.get(payment.id);
    // One transition's events: 4 for a completion, 2 releases for a cancellation.
    expect(events).toHaveLength(final.status === "COMPLETED" ? 4 : 2);
  });

  it("locks only the payment's row while updating: newer payments and their items still go in", async () => {
    const payment = await stored();
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked: () => void = () => {};
    const inside = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const update = repository.update(payment.id, async (current) => {
      locked();
      await held;
      return cancelPayment(current, new Date());
    });
    await inside;
    // Under the lock (with InnoDB's default innodb_lock_wait_timeout of 50 s, a gap lock on
    // payment_items would make this wait far beyond the test's timeout).
    const newer = await stored();
    release();
    expect((await update).status).toBe("CANCELLED");
    expect((await queries.get(newer.id)).items).toHaveLength(newer.items.length);
  });

  it("refuses a second payment with the same user and idempotency key", async () => {
    const first = await stored({ idempotencyKey: "order-1" });
    await expect(stored({ userId: first.userId, idempotencyKey: "order-1" })).rejects.toThrow(
      DuplicateIdempotencyKey,
    );
    // Another user may use the same key; keys compare exactly (case and trailing spaces count).
    await stored({ idempotencyKey: "order-1" });
    await stored({ userId: first.userId, idempotencyKey: "ORDER-1" });
    await stored({ userId: first.userId, idempotencyKey: "order-1 " });
  });

  it("compares user ids exactly: Alice is not alice, bob is not 'bob '", async () => {
    const user = `u-${randomUUID()}`;
    const payment = await stored({ userId: user, idempotencyKey: "x" });
    expect(await queries.findByIdempotencyKey(user.toUpperCase(), "x")).toBeUndefined();
    expect(await queries.findByIdempotencyKey(`${user} `, "x")).toBeUndefined();
    expect((await queries.findByIdempotencyKey(user, "x"))?.id).toBe(payment.id);
  });

  it("keeps refunds within the amount even against a bypassing write (CHECK constraint)", async () => {
    const payment = await stored();
    await expect(
      pool.query("UPDATE payments SET refunded_amount = amount + 0.01 WHERE id = ?", [payment.id]),
    ).rejects.toThrow(/CONSTRAINT/i);
  });
});
