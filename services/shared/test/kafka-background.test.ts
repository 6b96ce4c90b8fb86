import { afterAll, describe, expect, it, vi } from "vitest";
import { consumeInBackground } from "#shared/kafka/background";
import { createKafka } from "#shared/kafka/client";
import { dlqTopic, ensureTopics } from "#shared/kafka/topics";
import { createMetrics } from "#shared/metrics";
import {
  publish,
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
