import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKafka } from "#shared/kafka/client";
import { createEventProducer } from "#shared/kafka/producer";
import { createMetrics } from "#shared/metrics";
import {
  createTestTopics,
  readMessages,
  testEvent,
  testKafka,
  testLogger,
} from "./support/kafka.js";

const kafka = testKafka();
let topics: Awaited<ReturnType<typeof createTestTopics>>;
beforeAll(async () => {
  topics = await createTestTopics(kafka, "producer");
});
afterAll(() => topics.remove());

describe("createEventProducer", () => {
  it("resolves once the broker acknowledged, in order per key, and counts what it published", async () => {
    const topic = topics.topics[0] ?? "";
    const metrics = createMetrics();
    const producer = createEventProducer(kafka, metrics);
    await producer.connect();
    await producer.send({
      [topic]: [testEvent("a1", "a"), testEvent("b1", "b"), testEvent("a2", "a")],
    });
    await producer.send({ [topic]: [testEvent("a3", "a")] });
    await producer.disconnect();

    const messages = await readMessages(kafka, topic, 4);
    const ofA = messages.filter((message) => message.key === "a");
    expect(ofA.map((message) => message.headers.ce_id)).toEqual(["a1", "a2", "a3"]);
    expect(new Set(ofA.map((message) => message.partition)).size).toBe(1);
    const published = await metrics.registry.getSingleMetric("shop_kafka_messages_published_total");
    expect((await published?.get())?.values).toEqual([{ labels: { topic }, value: 4 }]);
  });

  it("rejects, instead of waiting for ever, when no broker answers", async () => {
    const nowhere = createKafka({ brokers: ["127.0.0.1:1"], clientId: "test" }, testLogger(), {
      retry: { retries: 1, initialRetryTime: 10 },
    });
    const producer = createEventProducer(nowhere);
    await expect(producer.send({ t: [testEvent("x", "x")] })).rejects.toThrow();
    await expect(producer.send({ t: [testEvent("y", "y")] })).rejects.toThrow();
    await producer.disconnect();
  });
});
