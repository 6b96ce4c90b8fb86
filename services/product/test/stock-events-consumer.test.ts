import { randomUUID } from "node:crypto";
import { create, toJsonString } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { StockChangeReason, StockUpdatedSchema } from "#gen/shop/events/v1/events_pb";
import type { CloudEvent } from "#shared/kafka/cloudevents";
import { dlqTopic } from "#shared/kafka/topics";
import { createMetrics, type Metrics } from "#shared/metrics";
import {
  createTestTopics,
  metricValue,
  publish,
  readMessages,
  recordingLogger,
  testKafka,
  testLogger,
  uniqueName,
} from "#shared-test/kafka";
import { startTestServer } from "#shared-test/service-harness";
import { createProductApp } from "../src/app.js";
import { connectProductDatabase } from "../src/db/connection.js";
import { createStockRepository } from "../src/db/stock-repository.js";
import {
  consumeStockEvents,
  type StockEventsConsumerDeps,
} from "../src/events/stock-events-consumer.js";
import { testDatabaseConfig } from "./support/database.js";
import { inAnHour, newReservationId, useStockFixture } from "./support/stock-fixtures.js";

const f = useStockFixture();
const kafka = testKafka();
let topics: Awaited<ReturnType<typeof createTestTopics>>;
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  topics = await createTestTopics(
    kafka,
    "effects",
    "replay",
    "restart",
    "malformed",
    "db-down",
    "run",
  );
});
afterAll(async () => {
  await Promise.all(stops.map((stop) => stop()));
  await topics.remove();
});

const topic = (index: number) => topics.topics[index] ?? "";
const until = { timeout: 30_000, interval: 50 };

type Reason = keyof typeof StockChangeReason;

/** A product of stock 10 with 3 reserved for a new payment, and its StockUpdated CloudEvents. */
async function reservedLine() {
  const productId = await f.newProduct(10);
  const paymentId = newReservationId();
  await f.stock.reserve(paymentId, [{ productId, quantity: 3 }], inAnHour());
  return {
    event: (reason: Reason, id = randomUUID()): CloudEvent => ({
      id,
      type: StockUpdatedSchema.typeName,
      source: "/test",
      time: new Date().toISOString(),
      key: String(productId),
      payload: toJsonString(
        StockUpdatedSchema,
        create(StockUpdatedSchema, {
          productId,
          paymentId,
          quantity: 3,
          reason: StockChangeReason[reason],
        }),
      ),
    }),
    status: async () => (await f.stock.get(paymentId)).status,
    stock: () => f.stockOf(productId),
  };
}

/** The service's consumer on `target` with a group of its own; stopped after the file. */
async function consume(target: string, deps: Partial<StockEventsConsumerDeps> = {}) {
  const metrics = deps.metrics ?? createMetrics();
  const groupId = deps.groupId ?? uniqueName("product-stock");
  const consumer = consumeStockEvents({
    kafka,
    stock: f.stock,
    logger: testLogger(),
    maxAttempts: 3,
    backoff: { initialMs: 10, maxMs: 50 },
    ...deps,
    metrics,
    groupId,
    topic: target,
  });
  stops.push(() => consumer.stop());
  await consumer.started;
  const count = (name: string, labels: Record<string, string> = {}) =>
    metricValue(metrics, name, { topic: target, group: groupId, ...labels });
  return {
    consumer,
    groupId,
    processed: () => count("shop_kafka_messages_processed_total"),
    count,
  };
}

/** Results the stock event handler logged for `eventId`, in order. */
const resultsOf = (lines: Record<string, unknown>[], eventId: string) =>
  lines.filter((line) => line.eventId === eventId).map((line) => line.result);

describe("the product service's stock-events consumer", () => {
  it("applies SOLD, RELEASED and RESTOCKED, and its counters show on the service's /metrics", async () => {
    const [sold, released, restocked] = [
      await reservedLine(),
      await reservedLine(),
      await reservedLine(),
    ];
    const metrics: Metrics = createMetrics();
    const server = await startTestServer({ ...createProductApp(f.sql), metrics });
    stops.push(() => server.close());
    const { groupId, processed } = await consume(topic(0), { metrics });

    await publish(
      kafka,
      topic(0),
      sold.event("SOLD"),
      released.event("RELEASED"),
      restocked.event("SOLD"),
      restocked.event("RESTOCKED"),
    );
    await vi.waitFor(async () => expect(await processed()).toBe(4), until);

    expect([await sold.status(), await released.status(), await restocked.status()]).toEqual([
      "committed",
      "released",
      "restocked",
    ]);
    expect([await sold.stock(), await released.stock(), await restocked.stock()]).toEqual([
      7, 10, 10,
    ]);
    const text = await (await fetch(`${server.baseUrl}/metrics`)).text();
    const labels = `{topic="${topic(0)}",group="${groupId}"}`;
    expect(text).toContain(`shop_kafka_messages_processed_total${labels} 4`);
    expect(text).toMatch(
      new RegExp(`shop_kafka_consumer_lag\\{topic="${topic(0)}",partition="\\d"`),
    );
  });

  it("applies an event delivered three times once", async () => {
    const line = await reservedLine();
    const { logger, lines } = recordingLogger("debug");
    const { processed } = await consume(topic(1), { logger });
    const sold = line.event("SOLD");

    await publish(kafka, topic(1), sold, sold, sold);
    await vi.waitFor(async () => expect(await processed()).toBe(3), until);

    expect(resultsOf(lines, sold.id)).toEqual(["applied", "duplicate", "duplicate"]);
    expect(await line.status()).toBe("committed");
    expect(await line.stock()).toBe(7);
  });

  it("re-reading the topic from the beginning after a restart changes nothing", async () => {
    const line = await reservedLine();
    const [sold, restocked] = [line.event("SOLD"), line.event("RESTOCKED")];
    const first = await consume(topic(2));
    await publish(kafka, topic(2), sold, restocked);
    await vi.waitFor(async () => expect(await first.processed()).toBe(2), until);
    expect(await line.stock()).toBe(10);
    await first.consumer.stop();

    // As if the committed offsets were lost: the same group starts over from offset 0.
    const admin = kafka.admin();
    await admin.connect();
    await admin
      .resetOffsets({ groupId: first.groupId, topic: topic(2), earliest: true })
      .finally(() => admin.disconnect());
    const { logger, lines } = recordingLogger("debug");
    const again = await consume(topic(2), { groupId: first.groupId, logger });
    await vi.waitFor(async () => expect(await again.processed()).toBe(2), until);

    expect([...resultsOf(lines, sold.id), ...resultsOf(lines, restocked.id)]).toEqual([
      "duplicate",
      "duplicate",
    ]);
    expect(await line.status()).toBe("restocked");
    expect(await line.stock()).toBe(10);
  });

  it("sends a malformed event to <topic>.dlq at once, and applies the next one of its partition", async () => {
    const line = await reservedLine();
    const valid = line.event("SOLD");
    const malformed = { ...valid, id: randomUUID(), payload: JSON.stringify({ quantity: "many" }) };
    const { count, processed } = await consume(topic(3));

    await publish(kafka, topic(3), malformed, valid);
    await vi.waitFor(async () => expect(await processed()).toBe(1), until);

    expect(await line.status()).toBe("committed");
    const [dead] = await readMessages(kafka, dlqTopic(topic(3)), 1);
    expect(dead?.key).toBe(valid.key);
    expect(dead?.headers).toMatchObject({
      ce_id: malformed.id,
      dlq_reason: "rejected",
      dlq_attempts: "1",
    });
    expect(dead?.headers.dlq_error).toMatch(/^MalformedStockEvent: /);
    expect(await count("shop_kafka_handler_failures_total")).toBe(1);
  });

  it("retries while the database is unreachable, then dead-letters after the bounded attempts", async () => {
    const line = await reservedLine();
    // Nothing listens on port 1: every transaction fails to connect, as with PostgreSQL down.
    const down = connectProductDatabase({ ...testDatabaseConfig, port: 1 });
    stops.push(() => down.end());
    const event = line.event("SOLD");
    const { count } = await consume(topic(4), { stock: createStockRepository(down) });

    await publish(kafka, topic(4), event);
    const [dead] = await readMessages(kafka, dlqTopic(topic(4)), 1);

    expect(dead?.headers).toMatchObject({
      ce_id: event.id,
      dlq_reason: "handler",
      dlq_attempts: "3",
    });
    expect(await count("shop_kafka_handler_failures_total")).toBe(3);
    expect(await line.status()).toBe("reserved");
  });

  it("applies a fetched run of a partition's events in one statement, not one by one", async () => {
    const line = await reservedLine();
    const calls = { one: 0, many: [] as number[] };
    const stock: StockEventsConsumerDeps["stock"] = {
      applyStockUpdated: (update) => {
        calls.one++;
        return f.stock.applyStockUpdated(update);
      },
      applyStockUpdates: (updates) => {
        calls.many.push(updates.length);
        return f.stock.applyStockUpdates(updates);
      },
    };
    const { processed } = await consume(topic(5), { stock });

    // One key (the product) and one send: one partition, one fetch.
    await publish(kafka, topic(5), line.event("SOLD"), line.event("SOLD"), line.event("RESTOCKED"));
    await vi.waitFor(async () => expect(await processed()).toBe(3), until);

    expect(calls).toEqual({ one: 0, many: [3] });
    expect(await line.status()).toBe("restocked");
    expect(await line.stock()).toBe(10);
  });
});
