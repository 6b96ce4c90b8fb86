import { ConfigResourceTypes } from "kafkajs";
import { afterAll, describe, expect, it, vi } from "vitest";
import { consumeInBackground } from "#shared/kafka/background";
import { createKafka } from "#shared/kafka/client";
import { dlqTopic, ensureTopics } from "#shared/kafka/topics";
import { createMetrics } from "#shared/metrics";
import {
  metricValue,
  publish,
  readMessages,
  recordingLogger,
  testEvent,
  testKafka,
  testLogger,
  uniqueName,
} from "./support/kafka.js";

const kafka = testKafka();
const created: string[] = [];

afterAll(async () => {
  if (created.length === 0) return;
  const admin = kafka.admin();
  await admin.connect();
  await admin
    .deleteTopics({ topics: created.flatMap((topic) => [topic, dlqTopic(topic)]) })
    .finally(() => admin.disconnect());
});

describe("consumeInBackground", () => {
  it("keeps trying while its topic is missing, then consumes once it exists", async () => {
    const topic = uniqueName("late");
    const { logger, messages } = recordingLogger();
    const handled: string[] = [];
    const consumer = consumeInBackground(kafka, {
      groupId: uniqueName("group"),
      topics: [topic],
      logger,
      metrics: createMetrics(),
      retryMs: 50,
      handle: async (event) => {
        handled.push(event.id);
      },
    });
    try {
      await vi.waitFor(() => expect(messages()).toContain("kafka consumer could not start"), {
        timeout: 40_000,
        interval: 50,
      });
      await ensureTopics(kafka, [topic]);
      created.push(topic);
      await publish(kafka, topic, testEvent("after-the-wait"));

      await consumer.started;
      await vi.waitFor(() => expect(handled).toEqual(["after-the-wait"]), {
        timeout: 40_000,
        interval: 50,
      });
      expect(messages()).toContain("kafka consumer running");
    } finally {
      await consumer.stop();
    }
  }, 90_000);

  it("starts a new consumer when kafkajs gives up on one, and consumes on once the cause is gone", async () => {
    const topic = uniqueName("crash");
    const dlq = dlqTopic(topic);
    const admin = kafka.admin();
    await admin.connect();
    // One partition, so the poison message is in front of the sound one; a dead-letter topic
    // too small for it, which the broker refuses with a non-retriable MESSAGE_TOO_LARGE.
    const tooSmall = (bytes: number) => [{ name: "max.message.bytes", value: String(bytes) }];
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic, numPartitions: 1 },
        { topic: dlq, numPartitions: 1, configEntries: tooSmall(1000) },
      ],
    });
    created.push(topic);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: "not a CloudEvent ".repeat(200) }] });
    await producer.disconnect();
    await publish(kafka, topic, testEvent("after-the-crash"));

    const { logger, messages } = recordingLogger();
    const metrics = createMetrics();
    const group = uniqueName("group");
    const handled: string[] = [];
    const consumer = consumeInBackground(kafka, {
      groupId: group,
      topics: [topic],
      logger,
      metrics,
      retryMs: 200,
      handle: async (event) => {
        handled.push(event.id);
      },
    });
    try {
      await vi.waitFor(
        () => expect(messages()).toContain("kafka consumer crashed; starting a new one"),
        { timeout: 40_000, interval: 50 },
      );
      expect(handled).toEqual([]);
      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          { type: ConfigResourceTypes.TOPIC, name: dlq, configEntries: tooSmall(1_048_588) },
        ],
      });
      await vi.waitFor(() => expect(handled).toEqual(["after-the-crash"]), {
        timeout: 40_000,
        interval: 50,
      });
      expect(await readMessages(kafka, dlq, 1)).toHaveLength(1);
      expect(
        await metricValue(metrics, "shop_kafka_consumer_crashes_total", { group }),
      ).toBeGreaterThanOrEqual(1);
    } finally {
      await consumer.stop();
      await admin.disconnect();
    }
  }, 90_000);

  it("stop() ends the attempts while no broker answers", async () => {
    // Nothing listens on port 1: every attempt fails at once.
    const offline = createKafka(
      { brokers: ["127.0.0.1:1"], clientId: "test-offline" },
      testLogger(),
      {
        retry: { retries: 0 },
      },
    );
    const { logger, messages } = recordingLogger();
    const consumer = consumeInBackground(offline, {
      groupId: uniqueName("group"),
      topics: ["never"],
      logger,
      metrics: createMetrics(),
      retryMs: 20,
      handle: async () => {},
    });
    await vi.waitFor(() => expect(messages()).toContain("kafka consumer could not start"), {
      timeout: 20_000,
      interval: 20,
    });
    await consumer.stop();
    await consumer.started;
    expect(messages()).not.toContain("kafka consumer running");
  });
});
