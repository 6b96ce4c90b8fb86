import { randomUUID } from "node:crypto";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { EventStoreService } from "#gen/shop/notification/v1/event_store_pb";
import { NotificationService } from "#gen/shop/notification/v1/notification_pb";
import { dlqTopic } from "#shared/kafka/topics";
import {
  createTestTopics,
  metricValue,
  publish,
  readMessages,
  testKafka,
  testLogger,
  uniqueName,
} from "#shared-test/kafka";
import { startTestServer } from "#shared-test/service-harness";
import type { NotificationApp } from "../src/app.js";
import type { NotificationSql } from "../src/db/connection.js";
import { consumeEvents, type EventRecorder } from "../src/events/events-consumer.js";
import { testCaller } from "./support/caller.js";
import { openTestDatabase, testApp } from "./support/database.js";
import { paymentOf } from "./support/events.js";
import { openStream } from "./support/streams.js";

const kafka = testKafka();
let sql: NotificationSql;
let app: NotificationApp;
let server: Awaited<ReturnType<typeof startTestServer>>;
let topics: Awaited<ReturnType<typeof createTestTopics>>;
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  sql = await openTestDatabase();
  app = await testApp(sql);
  server = await startTestServer(app);
  topics = await createTestTopics(kafka, "payment", "stock", "basket", "bad", "run");
});
afterAll(async () => {
  await Promise.all(stops.map((stop) => stop()));
  await topics?.remove();
  await app?.hub.close();
  await server?.close(100);
  await sql?.end({ timeout: 1 });
});

const until = { timeout: 30_000, interval: 50 };
const [paymentTopic, stockTopic, basketTopic, badTopic, runTopic] = [0, 1, 2, 3, 4].map(
  (i) => () => topics.topics[i] ?? "",
) as [() => string, () => string, () => string, () => string, () => string];

/** The service's consumer on this file's topics, with a group of its own. */
async function consume(topicNames: string[], store: EventRecorder = app.store) {
  const groupId = uniqueName("notification");
  const consumer = consumeEvents({
    kafka,
    store,
    logger: testLogger(),
    metrics: app.metrics,
    maxAttempts: 3,
    backoff: { initialMs: 10, maxMs: 50 },
    groupId,
    topics: topicNames,
  });
  stops.push(() => consumer.stop());
  await consumer.started;
  const processed = async () => {
    let sum = 0;
    for (const topic of topicNames) {
      sum +=
        (await metricValue(app.metrics, "shop_kafka_messages_processed_total", {
          topic,
          group: groupId,
        })) ?? 0;
    }
    return sum;
  };
  const processedOf = async (topic: string) =>
    (await metricValue(app.metrics, "shop_kafka_messages_processed_total", {
      topic,
      group: groupId,
    })) ?? 0;
  return { consumer, groupId, processed, processedOf };
}

const clients = () => {
  const transport = createConnectTransport({
    baseUrl: server.baseUrl,
    interceptors: [testCaller],
    httpVersion: "1.1",
  });
  return {
    notifications: createClient(NotificationService, transport),
    events: createClient(EventStoreService, transport),
  };
};

describe("the notification service's consumer", () => {
  it("stores one notification per payment event, with the amount exactly as paid, however often it is delivered", async () => {
    const userId = `user-${randomUUID()}`;
    const payment = paymentOf(userId, "2.50");
    const [completed, failed, refunded] = [
      payment.completed(),
      payment.failed(),
      payment.refunded("1.05", false),
    ];
    const { processed } = await consume([paymentTopic()]);

    await publish(
      kafka,
      paymentTopic(),
      completed,
      failed,
      refunded,
      completed,
      refunded,
      completed,
    );
    await vi.waitFor(async () => expect(await processed()).toBe(6), until);

    const { notifications } = await clients().notifications.listNotifications({ userId });
    expect(notifications.map((n) => n.message)).toEqual([
      "Refund of 1.05 USD issued",
      "Payment of 2.50 USD failed: card declined",
      "Payment of 2.50 USD completed",
    ]);
    expect(notifications.map((n) => n.eventId)).toEqual([refunded.id, failed.id, completed.id]);
    expect(notifications.every((n) => n.amount !== "" && n.paymentId === payment.paymentId)).toBe(
      true,
    );

    // A new consumer group replays the whole topic from the beginning: nothing is added.
    const replay = await consume([paymentTopic()]);
    await vi.waitFor(async () => expect(await replay.processed()).toBeGreaterThanOrEqual(6), until);
    const again = await clients().notifications.listNotifications({ userId });
    expect(again.notifications.map((n) => n.id)).toEqual(notifications.map((n) => n.id));
  });

  it("keeps every event of all three topics once in the event store, queryable by aggregate", async () => {
    const userId = `user-${randomUUID()}`;
    const payment = paymentOf(userId, "19.99");
    const completed = payment.completed();
    const sold = payment.stockSold(424242n);
    const cleared = payment.basketCleared();
    const { processedOf } = await consume([paymentTopic(), stockTopic(), basketTopic()]);

    await publish(kafka, stockTopic(), sold, sold);
    await publish(kafka, basketTopic(), cleared);
    await publish(kafka, paymentTopic(), completed, completed);
    // The payment topic holds the other tests' events too: wait for these in the store itself,
    // and for both copies of `sold` on the stock topic.
    const { events } = clients();
    await vi.waitFor(async () => {
      const ids = [completed.id, sold.id, cleared.id];
      expect(await sql`SELECT 1 FROM event_log WHERE event_id IN ${sql(ids)}`).toHaveLength(3);
      expect(await processedOf(stockTopic())).toBe(2);
    }, until);

    const byPayment = await events.listEvents({ aggregateId: payment.paymentId });
    expect(byPayment.events.map((e) => e.id)).toEqual([completed.id]);
    const [stored] = byPayment.events;
    expect(stored).toMatchObject({
      id: completed.id,
      type: "shop.events.v1.PaymentCompleted",
      source: "/connect-shop/payment",
      subject: payment.paymentId,
      aggregateId: payment.paymentId,
      topic: paymentTopic(),
      payload: completed.payload,
    });
    expect(stored?.time?.seconds).toBe(BigInt(Math.floor(Date.parse(completed.time) / 1000)));

    const byProduct = await events.listEvents({ aggregateId: "424242", type: sold.type });
    expect(byProduct.events.filter((e) => e.id === sold.id)).toHaveLength(1);
    const byUser = await events.listEvents({ aggregateId: userId });
    expect(byUser.events.map((e) => [e.id, e.type, e.topic])).toEqual([
      [cleared.id, "shop.events.v1.BasketCleared", basketTopic()],
    ]);
    const count = await sql<{ n: string }[]>`
      SELECT count(*)::text AS n FROM event_log WHERE event_id IN (${completed.id}, ${sold.id}, ${cleared.id})`;
    expect(count[0]?.n).toBe("3");
  });

  it("dead-letters an unreadable payment event at once and stores nothing of it", async () => {
    const userId = `user-${randomUUID()}`;
    const good = paymentOf(userId).completed();
    const bad = { ...paymentOf(userId).completed(), payload: '{"paymentId":"p","amount":"2.5.0"}' };
    const { groupId, processed } = await consume([badTopic()]);

    await publish(kafka, badTopic(), bad, good);
    await vi.waitFor(async () => expect(await processed()).toBe(1), until);

    const [dead] = await readMessages(kafka, dlqTopic(badTopic()), 1);
    expect(dead?.headers.ce_id).toBe(bad.id);
    expect(dead?.headers.dlq_reason).toBe("rejected");
    expect(
      await metricValue(app.metrics, "shop_kafka_messages_dead_lettered_total", {
        topic: badTopic(),
        group: groupId,
      }),
    ).toBe(1);
    const logged = await sql`SELECT 1 FROM event_log WHERE event_id = ${bad.id}`;
    expect(logged).toHaveLength(0);
    const { notifications } = await clients().notifications.listNotifications({ userId });
    expect(notifications.map((n) => n.eventId)).toEqual([good.id]);
    const text = await (await fetch(`${server.baseUrl}/metrics`)).text();
    expect(text).toMatch(new RegExp(`shop_kafka_consumer_lag\\{topic="${badTopic()}"`));
    expect(text).toContain("shop_notification_open_streams 0");
  });

  it("stores a fetched run of events in one transaction, duplicates and all, and announces each new notification", async () => {
    const userId = `user-${randomUUID()}`;
    const payment = paymentOf(userId, "7.10");
    const [completed, failed, refunded] = [
      payment.completed(),
      payment.failed(),
      payment.refunded("7.10", true),
    ];
    const calls = { one: 0, many: [] as number[] };
    const store: EventRecorder = {
      recordEvent: (...args) => {
        calls.one++;
        return app.store.recordEvent(...args);
      },
      recordEvents: (records) => {
        calls.many.push(records.length);
        return app.store.recordEvents(records);
      },
    };
    const { processed } = await consume([runTopic()], store);
    const transport = createConnectTransport({
      baseUrl: server.baseUrl,
      interceptors: [testCaller],
      httpVersion: "1.1",
    });
    const stream = await openStream(transport, userId);

    // One key (the payment) and one send: one partition, one fetch, one call of recordEvents.
    await publish(kafka, runTopic(), completed, failed, completed, refunded);
    await vi.waitFor(async () => expect(await processed()).toBe(4), until);
    const announced = await Promise.all(
      [completed, failed, refunded].map((event) => stream.notification(event.id)),
    );
    stream.close();
    await stream.ended;

    expect(calls).toEqual({ one: 0, many: [4] });
    const logged = await sql<{ event_id: string }[]>`
      SELECT event_id FROM event_log
      WHERE event_id IN ${sql([completed.id, failed.id, refunded.id])} ORDER BY sequence`;
    expect(logged.map((row) => row.event_id)).toEqual([completed.id, failed.id, refunded.id]);
    const { notifications } = await clients().notifications.listNotifications({ userId });
    expect(notifications.map((n) => n.eventId)).toEqual([refunded.id, failed.id, completed.id]);
    expect(notifications.map((n) => n.id)).toEqual(
      announced.map(({ notification }) => notification.id).reverse(),
    );
  });
});
