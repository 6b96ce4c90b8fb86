import { afterAll, describe, expect, it } from "vitest";
import { kafkaReachable } from "#shared/kafka/readiness";
import { dlqTopic, ensureTopics, PROJECT_TOPICS } from "#shared/kafka/topics";
import { testKafka, uniqueName } from "./support/kafka.js";

const kafka = testKafka();
const topics = [uniqueName("orders"), uniqueName("refunds")];

afterAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: topics.flatMap((topic) => [topic, dlqTopic(topic)]) });
  await admin.disconnect();
});

describe("kafka topics", () => {
  it("names the project's topics once", () => {
    expect(PROJECT_TOPICS).toEqual(["payment-events", "stock-events", "basket-events"]);
    expect(dlqTopic("payment-events")).toBe("payment-events.dlq");
  });

  it("creates each topic and its .dlq with 3 partitions, and again changes nothing", async () => {
    await ensureTopics(kafka, topics);
    await ensureTopics(kafka, topics);

    const admin = kafka.admin();
    await admin.connect();
    const all = topics.flatMap((topic) => [topic, dlqTopic(topic)]);
    const { topics: metadata } = await admin.fetchTopicMetadata({ topics: all });
    await admin.disconnect();
    expect(metadata.map((topic) => [topic.name, topic.partitions.length]).sort()).toEqual(
      all.map((topic) => [topic, 3]).sort(),
    );
  });

  it("reports the broker reachable, and an address where none listens unreachable", async () => {
    expect(await kafkaReachable({ brokers: brokersFromEnv(), clientId: "test" })).toBe(true);
    const started = Date.now();
    expect(await kafkaReachable({ brokers: ["127.0.0.1:1"], clientId: "test" }, 500)).toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

function brokersFromEnv(): string[] {
  return (process.env.KAFKA_BROKERS ?? "localhost:9092").split(",");
}
