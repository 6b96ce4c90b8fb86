import { randomUUID } from "node:crypto";
import { create, toJsonString } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { BasketClearedSchema } from "#gen/shop/events/v1/events_pb";
import type { CloudEvent } from "#shared/kafka/cloudevents";
import { dlqTopic } from "#shared/kafka/topics";
import { createMetrics, type Metrics } from "#shared/metrics";
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
import { createBasketApp } from "../src/app.js";
import { consumeBasketEvents } from "../src/events/basket-cleared.js";
import { line, redisFixture, TTL_SECONDS } from "./redis-fixture.js";
import { fakeProductService } from "./support/fake-products.js";

const fx = redisFixture();
const kafka = testKafka();
let topics: Awaited<ReturnType<typeof createTestTopics>>;
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  topics = await createTestTopics(kafka, "cleared", "replay", "malformed");
});
afterAll(async () => {
  await Promise.all(stops.map((stop) => stop()));
  await topics.remove();
  await fx.close();
});

const topic = (index: number) => topics.topics[index] ?? "";
const until = { timeout: 30_000, interval: 50 };

/** A BasketCleared CloudEvent for `userId`, keyed by it as the payment service publishes it. */
function basketCleared(userId: string, id = randomUUID()): CloudEvent {
  const payload = create(BasketClearedSchema, { userId, paymentId: `pay-${randomUUID()}` });
  return {
    id,
    type: BasketClearedSchema.typeName,
    source: "/test",
    time: new Date().toISOString(),
    key: userId,
    payload: toJsonString(BasketClearedSchema, payload),
  };
}

/** The service's consumer on `target` with a group of its own; stopped after the file. */
async function consume(target: string, metrics: Metrics = createMetrics()) {
  const groupId = uniqueName("basket-cleared");
  const consumer = consumeBasketEvents({
    kafka,
    baskets: fx.repo,
    logger: testLogger(),
    metrics,
    maxAttempts: 3,
    backoff: { initialMs: 10, maxMs: 50 },
    topic: target,
    groupId,
  });
  stops.push(() => consumer.stop());
  await consumer.started;
  const count = (name: string) => metricValue(metrics, name, { topic: target, group: groupId });
  return { groupId, count, processed: () => count("shop_kafka_messages_processed_total") };
}

describe("the basket service's basket-events consumer", () => {
  it("empties the basket on BasketCleared, skips other types, and shows on /metrics", async () => {
    const user = fx.newUser();
    await fx.repo.addItem(user, line(1n, 2), 10);
    const metrics = createMetrics();
    const app = createBasketApp({
      redis: fx.redis,
      products: fakeProductService(new Map()),
      ttlSeconds: TTL_SECONDS,
    });
    const server = await startTestServer({ ...app, metrics });
    stops.push(() => server.close());
    const { groupId, processed } = await consume(topic(0), metrics);

    const other = { ...basketCleared(user), type: "shop.events.v1.SomethingElse" };
    await publish(kafka, topic(0), other, basketCleared(user));
    await vi.waitFor(async () => expect(await processed()).toBe(2), until);

    expect((await fx.repo.get(user)).items).toEqual([]);
    const text = await (await fetch(`${server.baseUrl}/metrics`)).text();
    expect(text).toContain(
      `shop_kafka_messages_processed_total{topic="${topic(0)}",group="${groupId}"} 2`,
    );
    expect(text).not.toContain(`shop_kafka_messages_dead_lettered_total{topic="${topic(0)}"`);
  });

  it("applies a redelivered event once: lines added after the first clear survive", async () => {
    const user = fx.newUser();
    await fx.repo.addItem(user, line(1n, 2), 10);
    const event = basketCleared(user);
    const { processed } = await consume(topic(1));

    await publish(kafka, topic(1), event);
    await vi.waitFor(async () => expect(await processed()).toBe(1), until);
    expect((await fx.repo.get(user)).items).toEqual([]);
    await fx.repo.addItem(user, line(2n, 1), 10);
    await publish(kafka, topic(1), event, event);
    await vi.waitFor(async () => expect(await processed()).toBe(3), until);

    expect((await fx.repo.get(user)).items.map((item) => item.productId)).toEqual([2n]);
  });

  it("sends a malformed BasketCleared to <topic>.dlq at once, and applies the next one", async () => {
    const user = fx.newUser();
    await fx.repo.addItem(user, line(1n, 2), 10);
    const malformed = { ...basketCleared(user), payload: JSON.stringify({ userId: "" }) };
    const { count, processed } = await consume(topic(2));

    await publish(kafka, topic(2), malformed, basketCleared(user));
    await vi.waitFor(async () => expect(await processed()).toBe(1), until);

    expect((await fx.repo.get(user)).items).toEqual([]);
    const [dead] = await readMessages(kafka, dlqTopic(topic(2)), 1);
    expect(dead?.headers).toMatchObject({
      ce_id: malformed.id,
      dlq_reason: "rejected",
      dlq_attempts: "1",
    });
    expect(dead?.headers.dlq_error).toMatch(/^MalformedBasketEvent: .*user_id: must not be empty/);
    expect(await count("shop_kafka_handler_failures_total")).toBe(1);
  });
});
