import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createPrivateKafka, type PrivateKafka } from "#scripts/private-kafka";
import type { ReceivedMessage } from "#shared/kafka/consumer";
import { TOPICS } from "#shared/kafka/topics";
import { type OutboxEntry, outboxOf } from "../../services/payment/test/support/database.js";
import {
  addToBasket,
  basketLines,
  checkout,
  createProduct,
  stockOf,
  userWithBasket,
} from "./support/checkout.js";
import { type System, startSystem } from "./support/system.js";
import { ceId, consumedAll, readTopicUntil } from "./support/topics.js";

// Checkouts while Kafka is stopped or frozen: a broker of this file's own (scripts/kafka.sh on
// free ports), never the shared one. Starting a JVM broker on a busy 2-core machine takes 10–40 s.
let broker: PrivateKafka;
let system: System;
beforeAll(async () => {
  broker = await createPrivateKafka();
  console.info(`private Kafka broker ready after ${await broker.start()} ms`);
  system = await startSystem({ name: "outage", brokers: broker.brokers, topics: "project" });
}, 300_000);
afterAll(async () => {
  await system?.close();
  await broker?.remove();
}, 120_000);

const delivered = { timeout: 180_000, interval: 500 };

async function backlog(): Promise<number> {
  const [rows] = await system.payments.query(
    "SELECT COUNT(*) AS n FROM outbox WHERE published_at IS NULL",
  );
  return Number((rows as { n: string }[])[0]?.n);
}

/** Checks out `count` fresh users, each buying one unit of `shared` and 2 of a product of their own. */
async function checkoutsWhileDown(shared: string, count: number) {
  const payments: string[] = [];
  const users: string[] = [];
  for (let n = 0; n < count; n++) {
    const { userId } = await userWithBasket(system, [{ price: "2.50", stock: 5, quantity: 2 }]);
    await addToBasket(system, userId, shared, 1);
    const { created, processed } = await checkout(system, userId);
    expect(processed?.json.status).toBe("PAYMENT_STATUS_COMPLETED");
    payments.push(created.json.id);
    users.push(userId);
  }
  return { payments, users };
}

async function outboxRows(payments: readonly string[]): Promise<OutboxEntry[]> {
  const rows = (await Promise.all(payments.map((id) => outboxOf(system.payments, id)))).flat();
  return rows.sort((a, b) => Number(BigInt(a.id) - BigInt(b.id)));
}

/**
 * Every row reached its topic: each event id at least once (the relay is at-least-once; copies
 * are allowed and counted), none missing, none foreign, and per key in outbox order.
 */
async function expectDelivered(rows: readonly OutboxEntry[]): Promise<number> {
  let copies = 0;
  for (const topic of Object.values(TOPICS)) {
    const expected = rows.filter((row) => row.topic === topic);
    const wanted = new Set(expected.map((row) => row.eventId));
    const mine = (
      await readTopicUntil(
        system.kafka,
        topic,
        (messages) =>
          new Set(messages.map(ceId).filter((id) => wanted.has(id))).size === wanted.size,
        120_000,
      )
    ).filter((message) => wanted.has(ceId(message)));
    const distinct = new Set(mine.map(ceId));
    expect(distinct).toEqual(wanted);
    copies += mine.length - distinct.size;
    for (const key of new Set(expected.map((row) => row.key))) {
      const order = firstSeen(mine.filter((message) => message.key === key));
      expect(order).toEqual(expected.filter((row) => row.key === key).map((row) => row.eventId));
    }
  }
  return copies;
}

function firstSeen(messages: readonly ReceivedMessage[]): string[] {
  return [...new Set(messages.map(ceId))];
}

/**
 * Once the broker is back: every outbox row of the checkouts is marked published, every event is
 * on its topic (see expectDelivered), the baskets are emptied by their events and the shared
 * product's stock is down by exactly one unit per checkout after the SOLD events are consumed.
 */
async function expectCaughtUp(
  outage: string,
  checkouts: { shared: string; payments: string[]; users: string[]; rows: OutboxEntry[] },
) {
  const { shared, payments, users, rows } = checkouts;
  await vi.waitFor(async () => {
    expect((await outboxRows(payments)).every((row) => row.published)).toBe(true);
  }, delivered);
  const copies = await expectDelivered(rows);
  console.info(`${outage}: ${rows.length} events delivered, ${copies} extra copies`);
  await vi.waitFor(async () => {
    for (const user of users) expect(await basketLines(system, user)).toEqual([]);
    expect(await consumedAll(system.kafka, system.groups.stock, TOPICS.stock)).toBe(true);
  }, delivered);
  expect(await stockOf(system, shared)).toBe(20 - payments.length);
}

describe("checkouts while Kafka is down", () => {
  it("a stopped broker: every checkout completes, the outbox holds the events, and each arrives once it is back", async () => {
    const shared = await createProduct(system, { price: "9.99", stock: 20 });
    const before = await backlog();
    await broker.stop();

    const { payments, users } = await checkoutsWhileDown(shared, 3);
    const rows = await outboxRows(payments);
    expect(rows).toHaveLength(3 * 4); // PaymentCompleted, 2 × StockUpdated SOLD, BasketCleared
    expect(rows.every((row) => !row.published)).toBe(true);
    expect(await backlog()).toBeGreaterThanOrEqual(before + rows.length);
    // The relay keeps trying (and recording its failures) while the broker is away.
    await vi.waitFor(async () => {
      const [tried] = await system.payments.query(
        "SELECT MIN(attempts) AS least FROM outbox WHERE event_id IN (?)",
        [rows.map((row) => row.eventId)],
      );
      expect(Number((tried as { least: number }[])[0]?.least)).toBeGreaterThan(0);
    }, delivered);
    // Clearing the basket waits for its event: the paid baskets are still full.
    for (const user of users) expect(await basketLines(system, user)).toHaveLength(2);

    console.info(`private Kafka broker back after ${await broker.start()} ms`);
    await expectCaughtUp("stopped broker", { shared, payments, users, rows });
  }, 400_000);

  it("a frozen broker (SIGSTOP): checkouts complete meanwhile, and every event arrives once it runs again", async () => {
    await broker.start(); // a no-op when it runs (the test before may have failed while it was down)
    const shared = await createProduct(system, { price: "1.01", stock: 20 });
    await broker.freeze();
    let checkouts: Awaited<ReturnType<typeof checkoutsWhileDown>>;
    let rows: OutboxEntry[];
    try {
      checkouts = await checkoutsWhileDown(shared, 3);
      rows = await outboxRows(checkouts.payments);
      expect(rows).toHaveLength(3 * 4);
      expect(rows.every((row) => !row.published)).toBe(true);
    } finally {
      await broker.thaw();
    }
    await expectCaughtUp("frozen broker", { shared, ...checkouts, rows });
  }, 400_000);
});
