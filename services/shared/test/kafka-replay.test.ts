import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type RunningConsumer, runConsumer } from "#shared/kafka/consumer";
import { PoisonMessageError } from "#shared/kafka/poison";
import { replayDeadLetters } from "#shared/kafka/replay";
import { dlqTopic } from "#shared/kafka/topics";
import { createMetrics } from "#shared/metrics";
import {
  createTestTopics,
  publish,
  readMessages,
  testEvent,
  testKafka,
  testLogger,
  uniqueName,
} from "./support/kafka.js";

const kafka = testKafka();
let topics: Awaited<ReturnType<typeof createTestTopics>>;
let consumer: RunningConsumer | undefined;

beforeAll(async () => {
  topics = await createTestTopics(kafka, "replay");
});
afterAll(async () => {
  await consumer?.stop();
  await topics.remove();
});

describe("replaying a dead-letter topic", () => {
  it("sends its messages back as first sent, once, and the fixed consumer handles them", async () => {
    const topic = topics.topics[0] ?? "";
    const dlq = dlqTopic(topic);
    let fixed = false;
    const handled: string[] = [];
    consumer = await runConsumer(kafka, {
      groupId: uniqueName("group"),
      topics: [topic],
      logger: testLogger(),
      metrics: createMetrics(),
      handle: async (event) => {
        if (!fixed && event.id.startsWith("bad")) throw new PoisonMessageError("not yet");
        handled.push(event.id);
      },
    });
    await publish(kafka, topic, testEvent("bad-1", "a"), testEvent("good", "a"));
    await publish(kafka, topic, testEvent("bad-2", "b"));
    await readMessages(kafka, dlq, 2);
    await vi.waitFor(() => expect(handled).toEqual(["good"]), { timeout: 20_000 });

    fixed = true;
    const group = uniqueName("replay");
    expect(await replayDeadLetters(kafka, dlq, group)).toEqual({ [topic]: 2 });
    await vi.waitFor(() => expect(handled.sort()).toEqual(["bad-1", "bad-2", "good"]), {
      timeout: 20_000,
    });
    // The topic now holds each bad event twice, the copy as the original: key, id, no dlq_*.
    const bad = (await readMessages(kafka, topic, 5)).filter((m) => m.headers.ce_id !== "good");
    expect(bad.map((m) => `${m.headers.ce_id} ${m.key}`).sort()).toEqual([
      "bad-1 a",
      "bad-1 a",
      "bad-2 b",
      "bad-2 b",
    ]);
    for (const message of bad) {
      expect(Object.keys(message.headers).filter((name) => name.startsWith("dlq_"))).toEqual([]);
    }

    // Replayed once: the group remembers; a message dead-lettered since is the next run's.
    expect(await replayDeadLetters(kafka, dlq, group)).toEqual({});
  }, 90_000);
});
