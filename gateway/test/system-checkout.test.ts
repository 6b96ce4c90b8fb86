import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { ReceivedMessage } from "#shared/kafka/consumer";
import { createIdempotentProducer } from "#shared/kafka/producer";
import { bearer } from "#shared-test/auth";
import { outboxOf } from "../../services/payment/test/support/database.js";
import {
  addToBasket,
  basketLines,
  checkout,
  type LineSpec,
  stockOf,
  userWithBasket,
} from "./support/checkout.js";
import { readLines } from "./support/ndjson.js";
import { type System, startSystem } from "./support/system.js";
import { ceId, consumedAll, readTopicUntil } from "./support/topics.js";

// The whole checkout through the gateway with curl-like requests: real PostgreSQL, Redis,
// MariaDB and Kafka, the outbox relay and the stock and basket consumers running.
let system: System;
beforeAll(async () => {
  system = await startSystem({ name: "checkout" });
});
afterAll(async () => {
  await system?.close();
});

const settled = { timeout: 60_000, interval: 200 };
const payloadOf = (message: ReceivedMessage) => JSON.parse(message.value ?? "null");
const aboutPayment = (paymentId: string) => (message: ReceivedMessage) =>
  payloadOf(message)?.paymentId === paymentId;

/** Every message of `topic` about `paymentId`, once there are `count` of them. */
async function eventsOf(topic: string, paymentId: string, count: number) {
  const all = await readTopicUntil(
    system.kafka,
    topic,
    (messages) => messages.filter(aboutPayment(paymentId)).length >= count,
  );
  return all.filter(aboutPayment(paymentId));
}

/** Resolves once the stock and basket consumers have committed everything on their topics. */
async function consumersCaughtUp() {
  await vi.waitFor(async () => {
    expect(await consumedAll(system.kafka, system.groups.stock, system.topics.stock)).toBe(true);
    expect(await consumedAll(system.kafka, system.groups.basket, system.topics.basket)).toBe(true);
  }, settled);
}

async function stocks(items: readonly { productId: string }[]) {
  return Promise.all(items.map((item) => stockOf(system, item.productId)));
}

describe("checkout through the gateway", () => {
  it("creates idempotently, completes, takes the stock exactly once, empties the basket by event and publishes CloudEvents", async () => {
    const lines: LineSpec[] = [
      { price: "19.99", stock: 10, quantity: 3 },
      { price: "0.10", stock: 5, quantity: 1 },
      { price: "0.20", stock: 4, quantity: 2 },
    ];
    const { userId, items } = await userWithBasket(system, lines);
    const key = { "idempotency-key": `order-${userId}` };

    const create = () =>
      system.as(userId).rest("POST", "/payments", { user_id: userId, method: "card" }, key);
    const created = await create();
    expect(created.status).toBe(201);
    // 59.97 + 0.10 + 0.40, in cents: 0.1 + 0.2 in binary floating point would not be 0.30.
    expect(created.json).toMatchObject({
      userId,
      status: "PAYMENT_STATUS_PENDING",
      amount: "60.47",
      currency: "USD",
    });
    const paymentId = created.json.id as string;
    // The retry with the same key is the same payment, answered 201 like the first request.
    const retried = await create();
    expect(retried.status).toBe(201);
    expect(retried.json.id).toBe(paymentId);
    // Reserved once, not twice: the stock already shows the reservation.
    expect(await stocks(items)).toEqual([7, 4, 2]);

    // The user follows their notifications through the gateway before paying.
    const watching = new AbortController();
    const watch = await fetch(`${system.base}/users/${userId}/notifications:watch`, {
      signal: watching.signal,
      headers: await bearer(userId),
    });
    const stream = readLines(watch);
    expect((await stream.next()).value).toMatchObject({ result: { heartbeat: {} } });

    const processed = await system.as(userId).rest("POST", `/payments/${paymentId}/process`, {
      payment_token: "tok_visa",
    });
    expect(processed.status).toBe(200);
    expect(processed.json).toMatchObject({ id: paymentId, status: "PAYMENT_STATUS_COMPLETED" });
    let line = await stream.next();
    while (!line.done && (line.value as { result?: { heartbeat?: unknown } }).result?.heartbeat) {
      line = await stream.next();
    }
    expect(line.value).toMatchObject({
      result: { notification: { paymentId, message: "Payment of 60.47 USD completed" } },
    });
    watching.abort();
    expect((await system.as(userId).rest("GET", `/payments/${paymentId}`)).json.status).toBe(
      "PAYMENT_STATUS_COMPLETED",
    );

    await vi.waitFor(async () => expect(await basketLines(system, userId)).toEqual([]), settled);

    const outbox = await outboxOf(system.payments, paymentId);
    const [completed] = await eventsOf(system.topics.payment, paymentId, 1);
    const sold = await eventsOf(system.topics.stock, paymentId, 3);
    const [cleared] = await eventsOf(system.topics.basket, paymentId, 1);
    expect(completed?.key).toBe(paymentId);
    expect(completed?.headers).toMatchObject({
      ce_type: "shop.events.v1.PaymentCompleted",
      ce_source: "/connect-shop/payment",
      ce_specversion: "1.0",
      "content-type": "application/json",
    });
    expect(payloadOf(completed as ReceivedMessage)).toMatchObject({
      paymentId,
      userId,
      amount: "60.47",
      currency: "USD",
    });
    // One partition per key: the three products' events may interleave in any order.
    const byProduct = (a: ReceivedMessage, b: ReceivedMessage) => Number(a.key) - Number(b.key);
    expect(
      sold
        .sort(byProduct)
        .map((message) => [message.key, message.headers.ce_type, payloadOf(message)]),
    ).toEqual(
      items.map((item) => [
        item.productId,
        "shop.events.v1.StockUpdated",
        {
          productId: item.productId,
          paymentId,
          quantity: item.quantity,
          reason: "STOCK_CHANGE_REASON_SOLD",
        },
      ]),
    );
    expect(cleared?.key).toBe(userId);
    expect(cleared?.headers.ce_type).toBe("shop.events.v1.BasketCleared");
    expect(payloadOf(cleared as ReceivedMessage)).toEqual({ userId, paymentId });
    // Each outbox row went out once, as itself: ce_id is the row's event id.
    expect([completed, ...sold, cleared].map((m) => ceId(m as ReceivedMessage)).sort()).toEqual(
      outbox.map((row) => row.eventId).sort(),
    );

    // The SOLD events arrive after CommitStock already sold the lines: no second effect.
    await consumersCaughtUp();
    expect(await stocks(items)).toEqual([7, 4, 2]);

    // The notification service made one notification of the PaymentCompleted event, with the
    // amount exactly as paid, and keeps all five events in its event store.
    await vi.waitFor(async () => {
      const list = await system.as(userId).rest("GET", `/users/${userId}/notifications`);
      expect(list.json.notifications).toMatchObject([
        { paymentId, message: "Payment of 60.47 USD completed", amount: "60.47", read: false },
      ]);
    }, settled);
    await vi.waitFor(async () => {
      expect(await consumedAll(system.kafka, system.groups.notification, system.topics.stock)).toBe(
        true,
      );
      expect(
        await consumedAll(system.kafka, system.groups.notification, system.topics.basket),
      ).toBe(true);
    }, settled);
    const stored = [
      ...(
        await system.as("admin", { admin: true }).rest("GET", `/events?aggregate_id=${paymentId}`)
      ).json.events,
      ...(await system.as("admin", { admin: true }).rest("GET", `/events?aggregate_id=${userId}`))
        .json.events,
      ...(
        await Promise.all(
          items.map(
            async (item) =>
              (
                await system
                  .as("admin", { admin: true })
                  .rest("GET", `/events?aggregate_id=${item.productId}`)
              ).json.events,
          ),
        )
      ).flat(),
    ].filter((event: { payload: string }) => event.payload.includes(paymentId));
    expect(stored.map((event: { id: string }) => event.id).sort()).toEqual(
      outbox.map((row) => row.eventId).sort(),
    );
  });

  it("a declined card fails the payment with its reason, gives the stock back and keeps the basket", async () => {
    const { userId, items } = await userWithBasket(system, [
      { price: "5.00", stock: 3, quantity: 2 },
      { price: "1.25", stock: 8, quantity: 4 },
    ]);
    const created = await system
      .as(userId)
      .rest("POST", "/payments", { user_id: userId, method: "card" });
    expect(created.status).toBe(201);
    expect(await stocks(items)).toEqual([1, 4]);

    const declined = await system.as(userId).rest("POST", `/payments/${created.json.id}/process`, {
      payment_token: "tok_chargeDeclined",
    });
    expect(declined.status).toBe(200);
    expect(declined.json.status).toBe("PAYMENT_STATUS_FAILED");
    expect(declined.json.failureReason).toMatch(/declined/i);

    const [failed] = await eventsOf(system.topics.payment, created.json.id, 1);
    expect(failed?.headers.ce_type).toBe("shop.events.v1.PaymentFailed");
    expect(payloadOf(failed as ReceivedMessage).reason).toBe(declined.json.failureReason);
    const released = await eventsOf(system.topics.stock, created.json.id, 2);
    expect(released.map((message) => payloadOf(message).reason)).toEqual([
      "STOCK_CHANGE_REASON_RELEASED",
      "STOCK_CHANGE_REASON_RELEASED",
    ]);
    await consumersCaughtUp();
    expect(await stocks(items)).toEqual([3, 8]);
    expect(await basketLines(system, userId)).toEqual(
      items.map((item) => `${item.productId}×${item.quantity}`),
    );
    expect(
      (await outboxOf(system.payments, created.json.id)).map((row) => row.type.split(".").pop()),
    ).toEqual(["PaymentFailed", "StockUpdated", "StockUpdated"]);
  });

  it("cancelling a pending payment gives the stock back; further transitions answer 400 naming both states", async () => {
    const { userId, items } = await userWithBasket(system, [
      { price: "2.00", stock: 2, quantity: 2 },
    ]);
    const created = await system
      .as(userId)
      .rest("POST", "/payments", { user_id: userId, method: "card" });
    expect(await stocks(items)).toEqual([0]);

    const cancelled = await system
      .as(userId)
      .rest("POST", `/payments/${created.json.id}/cancel`, {});
    expect(cancelled).toMatchObject({ status: 200, json: { status: "PAYMENT_STATUS_CANCELLED" } });
    await vi.waitFor(async () => expect(await stocks(items)).toEqual([2]), settled);

    const late = await system.as(userId).rest("POST", `/payments/${created.json.id}/process`, {
      payment_token: "tok_visa",
    });
    expect(late.status).toBe(400);
    expect(late.json.code).toBe("failed_precondition");
    expect(late.json.message).toMatch(/CANCELLED.*PENDING/);
    const refund = await system
      .as("shop-admin", { admin: true })
      .rest("POST", `/payments/${created.json.id}/refund`, {});
    expect(refund.status).toBe(400);
    expect(refund.json.message).toMatch(/CANCELLED.*COMPLETED/);
    await consumersCaughtUp();
    expect(await stocks(items)).toEqual([2]);
    expect(await basketLines(system, userId)).toEqual([`${items[0]?.productId}×2`]);
  });

  it("partial refunds add up exactly; the full refund restocks every line once", async () => {
    const { userId, items } = await userWithBasket(system, [
      { price: "33.33", stock: 4, quantity: 1 },
      { price: "0.10", stock: 9, quantity: 3 },
    ]);
    const { created, processed } = await checkout(system, userId);
    expect(processed?.json).toMatchObject({ status: "PAYMENT_STATUS_COMPLETED", amount: "33.63" });
    const id = created.json.id as string;
    const refund = (body: object) =>
      system.as("shop-admin", { admin: true }).rest("POST", `/payments/${id}/refund`, body);

    const first = await refund({ amount: "10.01", reason: "scratched" });
    expect(first.status).toBe(200);
    expect(first.json.payment).toMatchObject({
      status: "PAYMENT_STATUS_COMPLETED",
      refundedAmount: "10.01",
    });
    expect(first.json.refund).toMatchObject({ amount: "10.01", reason: "scratched" });
    expect((await refund({ amount: "0.02" })).json.payment.refundedAmount).toBe("10.03");
    const over = await refund({ amount: "23.61" });
    expect(over.status).toBe(400);
    expect(over.json.code).toBe("failed_precondition");

    // Partial refunds are money only: the goods stay sold.
    await consumersCaughtUp();
    expect(await stocks(items)).toEqual([3, 6]);

    const full = await refund({ reason: "returned" });
    expect(full.json.payment).toMatchObject({
      status: "PAYMENT_STATUS_REFUNDED",
      refundedAmount: "33.63",
    });
    expect(full.json.refund.amount).toBe("23.60");
    await vi.waitFor(async () => expect(await stocks(items)).toEqual([4, 9]), settled);

    const refunded = (await eventsOf(system.topics.payment, id, 4)).filter(
      (message) => message.headers.ce_type === "shop.events.v1.PaymentRefunded",
    );
    expect(
      refunded.map((message) => [payloadOf(message).refundedTotal, payloadOf(message).full]),
    ).toEqual([
      ["10.01", false],
      ["10.03", false],
      ["33.63", true],
    ]);
    const again = await refund({});
    expect(again.status).toBe(400);
    expect(again.json.message).toMatch(/REFUNDED/);
    await consumersCaughtUp();
    expect(await stocks(items)).toEqual([4, 9]);
  });
});

describe("refusals through the gateway", () => {
  it("a checkout without a basket, or of more than is in stock, is 400 failed_precondition", async () => {
    const none = `system-${Date.now()}-none`;
    const nobody = await system
      .as(none)
      .rest("POST", "/payments", { user_id: none, method: "card" });
    expect(nobody.status).toBe(400);
    expect(nobody.json.code).toBe("failed_precondition");
    const { userId, items } = await userWithBasket(system, [
      { price: "1.00", stock: 2, quantity: 2 },
    ]);
    const first = await userWithBasket(system, []);
    await addToBasket(system, first.userId, items[0]?.productId as string, 1);
    expect((await checkout(system, first.userId)).processed?.status).toBe(200);
    const short = await system
      .as(userId)
      .rest("POST", "/payments", { user_id: userId, method: "card" });
    expect(short.status).toBe(400);
    expect(short.json).toMatchObject({ code: "failed_precondition" });
    expect(short.json.message).toMatch(/only 1 of product \d+ in stock, 2 requested/);
    expect(
      (await system.as(userId).rest("GET", `/users/${userId}/payments`)).json.payments,
    ).toEqual([]);
  });
});

describe("duplicated and replayed events", () => {
  it("StockUpdated and BasketCleared published again with the same ce_id change nothing", async () => {
    const { userId, items } = await userWithBasket(system, [
      { price: "7.00", stock: 5, quantity: 2 },
      { price: "3.00", stock: 5, quantity: 1 },
    ]);
    const { created } = await checkout(system, userId);
    const id = created.json.id as string;
    await vi.waitFor(async () => expect(await basketLines(system, userId)).toEqual([]), settled);
    const refunded = await system
      .as("shop-admin", { admin: true })
      .rest("POST", `/payments/${id}/refund`, {});
    expect(refunded.json.payment.status).toBe("PAYMENT_STATUS_REFUNDED");
    await vi.waitFor(async () => expect(await stocks(items)).toEqual([5, 5]), settled);
    // The user shops again: a replayed BasketCleared must not empty the new basket.
    await addToBasket(system, userId, items[0]?.productId as string, 1);

    const stockEvents = await eventsOf(system.topics.stock, id, 4); // SOLD ×2, RESTOCKED ×2
    const basketEvents = await eventsOf(system.topics.basket, id, 1);
    await consumersCaughtUp();
    const producer = createIdempotentProducer(system.kafka);
    await producer.connect();
    try {
      for (const [topic, messages] of [
        [system.topics.stock, stockEvents],
        [system.topics.basket, basketEvents],
      ] as const) {
        // Twice over, as a relay that died before marking its batch would send it again.
        const copies = [...messages, ...messages].map(({ key, value, headers }) => ({
          key: key ?? null,
          value: value ?? null,
          headers,
        }));
        await producer.send({ topic, acks: -1, messages: copies });
      }
    } finally {
      await producer.disconnect();
    }

    await consumersCaughtUp();
    expect(await stocks(items)).toEqual([5, 5]);
    expect(await basketLines(system, userId)).toEqual([`${items[0]?.productId}×1`]);
  });
});
