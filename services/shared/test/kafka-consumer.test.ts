import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { CloudEvent } from "#shared/kafka/cloudevents";
import { type ConsumerOptions, type RunningConsumer, runConsumer } from "#shared/kafka/consumer";
import { PoisonMessageError } from "#shared/kafka/poison";
import { createIdempotentProducer } from "#shared/kafka/producer";
import { dlqTopic } from "#shared/kafka/topics";
import { createMetrics } from "#shared/metrics";
import {
  committedOffsets,
  createTestTopics,
  metricValue,
  publish as publishTo,
  readMessages,
  testEvent,
  testKafka,
  testLogger,
  uniqueName,
} from "./support/kafka.js";

const kafka = testKafka();
let topics: Awaited<ReturnType<typeof createTestTopics>>;
const running = new Set<RunningConsumer>();

beforeAll(async () => {
  topics = await createTestTopics(
    kafka,
    "retry",
    "poison",
    "stop",
    "rejected",
    "batch",
    "together",
    "apart",
  );
});
afterAll(async () => {
  await Promise.all([...running].map((consumer) => consumer.stop()));
  await topics.remove();
});

function topic(index: number): string {
  return topics.topics[index] ?? "";
}

function publish(target: string, ...events: CloudEvent[]): Promise<void> {
  return publishTo(kafka, target, ...events);
}

async function start(
  options: Pick<ConsumerOptions, "groupId" | "topics" | "handle"> & Partial<ConsumerOptions>,
): Promise<RunningConsumer> {
  const consumer = await runConsumer(kafka, {
    logger: testLogger(),
    metrics: createMetrics(),
    maxAttempts: 3,
    backoff: { initialMs: 10, maxMs: 50 },
    ...options,
  });
  running.add(consumer);
  return {
    async stop() {
      running.delete(consumer);
      await consumer.stop();
    },
  };
}

describe("runConsumer", () => {
  it("commits only after the handler succeeded, and a restarted group does not redeliver", async () => {
    const target = topic(0);
    const groupId = uniqueName("group");
    const metrics = createMetrics();
    const attempts: string[] = [];
    let failFirst = true;
    const first = await start({
      groupId,
      topics: [target],
      metrics,
      handle: async (received) => {
        attempts.push(received.id);
        if (failFirst) {
          failFirst = false;
          throw new Error("database briefly unavailable");
        }
      },
    });
    await publish(target, testEvent("e1"));
    await vi.waitFor(
      async () =>
        expect(
          await metricValue(metrics, "shop_kafka_messages_processed_total", { group: groupId }),
        ).toBe(1),
      { timeout: 20_000, interval: 20 },
    );
    expect(attempts).toEqual(["e1", "e1"]);
    await first.stop();

    expect((await committedOffsets(kafka, groupId, target)).sort()).toEqual(["-1", "-1", "1"]);

    const second: string[] = [];
    const restarted = await start({
      groupId,
      topics: [target],
      handle: async (received) => {
        second.push(received.id);
      },
    });
    await publish(target, testEvent("e2"));
    await vi.waitFor(() => expect(second).toContain("e2"), { timeout: 20_000, interval: 20 });
    expect(second).toEqual(["e2"]);
    await restarted.stop();
  });

  it("sends a poison message and an undecodable one to <topic>.dlq; the next one still runs", async () => {
    const target = topic(1);
    const groupId = uniqueName("group");
    const metrics = createMetrics();
    const handled: string[] = [];
    const consumer = await start({
      groupId,
      topics: [target],
      metrics,
      handle: async (received) => {
        handled.push(received.id);
        if (received.id === "poison") throw new Error("cannot apply this one");
      },
    });
    await publish(target, testEvent("poison"));
    const raw = createIdempotentProducer(kafka);
    await raw.connect();
    await raw.send({
      topic: target,
      messages: [{ key: "aggregate-1", value: "not a cloudevent" }],
    });
    await raw.disconnect();
    await publish(target, testEvent("next"));

    await vi.waitFor(() => expect(handled).toContain("next"), { timeout: 20_000, interval: 20 });
    expect(handled).toEqual(["poison", "poison", "poison", "next"]);
    await consumer.stop();

    const dead = await readMessages(kafka, dlqTopic(target), 2);
    const poison = dead.find((message) => message.headers.dlq_reason === "handler");
    expect(poison?.key).toBe("aggregate-1");
    expect(poison?.headers).toMatchObject({
      ce_id: "poison",
      ce_type: "test.Happened",
      dlq_error: "Error: cannot apply this one",
      dlq_attempts: "3",
      dlq_topic: target,
      dlq_group: groupId,
    });
    expect(JSON.parse(poison?.value ?? "")).toEqual({ id: "poison" });
    const garbage = dead.find((message) => message.headers.dlq_reason === "undecodable");
    expect(garbage?.value).toBe("not a cloudevent");
    expect(garbage?.headers).toMatchObject({ dlq_attempts: "0", dlq_topic: target });
    expect(garbage?.headers.dlq_error).toMatch(/missing headers: ce_id/);

    const labels = { topic: target, group: groupId };
    expect(await metricValue(metrics, "shop_kafka_messages_processed_total", labels)).toBe(1);
    expect(await metricValue(metrics, "shop_kafka_handler_failures_total", labels)).toBe(3);
    const deadLettered = "shop_kafka_messages_dead_lettered_total";
    expect(await metricValue(metrics, deadLettered, { ...labels, reason: "handler" })).toBe(1);
    expect(await metricValue(metrics, deadLettered, { ...labels, reason: "undecodable" })).toBe(1);
    expect(await metricValue(metrics, "shop_kafka_consumer_lag", labels)).toBe(0);
    expect(await metrics.registry.metrics()).toContain("shop_kafka_consumer_lag{");
  });

  it("dead-letters at once, without retries, what the handler rejects as never processable", async () => {
    const target = topic(3);
    const groupId = uniqueName("group");
    const metrics = createMetrics();
    const handled: string[] = [];
    const consumer = await start({
      groupId,
      topics: [target],
      metrics,
      maxAttempts: 5,
      handle: async (received) => {
        handled.push(received.id);
        if (received.id === "malformed") throw new PoisonMessageError("payload has no user id");
        // Another library's error may carry the same mark instead of being a PoisonMessageError.
        if (received.id === "marked")
          throw Object.assign(new Error("refused"), { retryable: false });
      },
    });
    await publish(target, testEvent("malformed"), testEvent("marked"), testEvent("next"));

    await vi.waitFor(() => expect(handled).toContain("next"), { timeout: 20_000, interval: 20 });
    expect(handled).toEqual(["malformed", "marked", "next"]);
    await consumer.stop();

    const dead = await readMessages(kafka, dlqTopic(target), 2);
    expect(dead.map((message) => message.headers)).toEqual([
      expect.objectContaining({
        ce_id: "malformed",
        dlq_reason: "rejected",
        dlq_attempts: "1",
        dlq_error: "PoisonMessageError: payload has no user id",
      }),
      expect.objectContaining({ ce_id: "marked", dlq_reason: "rejected", dlq_attempts: "1" }),
    ]);
    const labels = { topic: target, group: groupId };
    const deadLettered = "shop_kafka_messages_dead_lettered_total";
    expect(await metricValue(metrics, deadLettered, { ...labels, reason: "rejected" })).toBe(2);
    expect(await metricValue(metrics, "shop_kafka_handler_failures_total", labels)).toBe(2);
    expect(await metricValue(metrics, "shop_kafka_messages_processed_total", labels)).toBe(1);
  });

  it("stop() lets the handler in flight finish and commits it", async () => {
    const target = topic(2);
    const groupId = uniqueName("group");
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered: () => void = () => {};
    const inHandler = new Promise<void>((resolve) => {
      entered = resolve;
    });
    let finished = false;
    const consumer = await start({
      groupId,
      topics: [target],
      handle: async () => {
        entered();
        await released;
        finished = true;
      },
    });
    await publish(target, testEvent("slow"));
    await inHandler;
    const stopped = consumer.stop();
    // A window in which a stop() that did not wait for the handler would already have resolved.
    setTimeout(release, 200);
    await stopped;
    expect(finished).toBe(true);

    expect(await committedOffsets(kafka, groupId, target)).toContain("1");
  });

  it("commits a batch of messages up to the last one handled, and not past one still failing", async () => {
    const target = topic(4);
    const groupId = uniqueName("group");
    const metrics = createMetrics();
    const handled: string[] = [];
    const consumer = await start({
      groupId,
      topics: [target],
      metrics,
      maxAttempts: 1_000,
      backoff: { initialMs: 20, maxMs: 20 },
      handle: async (received) => {
        if (received.id === "e4") throw new Error("the store is away for this one");
        handled.push(received.id);
      },
    });
    // One key, so all five land on one partition and in one fetch when they can.
    await publish(target, ...["e1", "e2", "e3", "e4", "e5"].map((id) => testEvent(id)));
    await vi.waitFor(
      async () =>
        expect(
          await metricValue(metrics, "shop_kafka_handler_failures_total", { group: groupId }),
        ).toBeGreaterThan(1),
      { timeout: 20_000, interval: 20 },
    );
    await consumer.stop();

    expect(handled).toEqual(["e1", "e2", "e3"]);
    expect((await committedOffsets(kafka, groupId, target)).sort()).toEqual(["-1", "-1", "3"]);
  });

  it("hands a partition's fetched events to handleBatch at once, in order, and commits after it", async () => {
    const target = topic(5);
    const groupId = uniqueName("group");
    const metrics = createMetrics();
    const calls: string[][] = [];
    const consumer = await start({
      groupId,
      topics: [target],
      metrics,
      handle: async (received) => {
        throw new Error(`handle called for ${received.id}; handleBatch should have taken it`);
      },
      handleBatch: async (events) => {
        calls.push(events.map(({ event, message }) => `${event.id}@${message.offset}`));
      },
    });
    const ids = ["e1", "e2", "e3", "e4", "e5"];
    // One key and one send: one partition, one fetch.
    await publish(target, ...ids.map((id) => testEvent(id)));
    await vi.waitFor(() => expect(calls.flat()).toHaveLength(5), { timeout: 20_000, interval: 20 });
    await consumer.stop();

    expect(calls.flat()).toEqual(ids.map((id, offset) => `${id}@${offset}`));
    expect(calls.length).toBeLessThan(ids.length);
    expect((await committedOffsets(kafka, groupId, target)).sort()).toEqual(["-1", "-1", "5"]);
    const labels = { topic: target, group: groupId };
    expect(await metricValue(metrics, "shop_kafka_messages_processed_total", labels)).toBe(5);
  });

  it("takes the events of a rejected batch one by one, dead-lettering only the poison one", async () => {
    const target = topic(6);
    const groupId = uniqueName("group");
    const metrics = createMetrics();
    const alone: string[] = [];
    const batches: string[][] = [];
    const consumer = await start({
      groupId,
      topics: [target],
      metrics,
      handle: async (received) => {
        alone.push(received.id);
        if (received.id === "poison") throw new PoisonMessageError("no such product");
      },
      handleBatch: async (events) => {
        batches.push(events.map(({ event }) => event.id));
        if (events.some(({ event }) => event.id === "poison")) throw new Error("batch refused");
      },
    });
    await publish(target, testEvent("e1"), testEvent("poison"), testEvent("e3"));
    await vi.waitFor(() => expect(alone).toContain("e3"), { timeout: 20_000, interval: 20 });
    await publish(target, testEvent("e4"), testEvent("e5"));
    await vi.waitFor(() => expect(batches.flat()).toContain("e5"), {
      timeout: 20_000,
      interval: 20,
    });
    await consumer.stop();

    expect(batches[0]).toEqual(["e1", "poison", "e3"]);
    expect(alone).toEqual(["e1", "poison", "e3"]);
    expect(batches.at(-1)).toEqual(["e4", "e5"]);
    const dead = await readMessages(kafka, dlqTopic(target), 1);
    expect(dead[0]?.headers).toMatchObject({ ce_id: "poison", dlq_reason: "rejected" });
    expect((await committedOffsets(kafka, groupId, target)).sort()).toEqual(["-1", "-1", "5"]);
    const labels = { topic: target, group: groupId };
    expect(await metricValue(metrics, "shop_kafka_messages_processed_total", labels)).toBe(4);
  });
});
