import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { pino } from "pino";
import { createKafka, type KafkaClient } from "#shared/kafka/client";
import type { CloudEvent } from "#shared/kafka/cloudevents";
import { kafkaBrokers } from "#shared/kafka/config";
import type { ReceivedMessage } from "#shared/kafka/consumer";
import { createEventProducer } from "#shared/kafka/producer";
import { tailTopic } from "#shared/kafka/tail";
import { dlqTopic, ensureTopics } from "#shared/kafka/topics";
import { createLogger } from "#shared/logger";
import type { Metrics } from "#shared/metrics";

/** A client for the test broker (`KAFKA_BROKERS`; `npm test` starts one when none answers). */
export function testKafka(): KafkaClient {
  const brokers = kafkaBrokers("localhost:9092").parse(process.env.KAFKA_BROKERS);
  return createKafka({ brokers, clientId: "test" }, testLogger());
}

export function testLogger() {
  return createLogger("test", process.env.LOG_LEVEL ?? "silent");
}

/** A logger at `level` whose lines land, parsed, in `lines` (`msg` is the message). */
export function recordingLogger(level = "info") {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { logger: pino({ level }, stream), lines, messages: () => lines.map((line) => line.msg) };
}

/** Publishes `events` to `topic` in order, and resolves once the broker acknowledged them. */
export async function publish(kafka: KafkaClient, topic: string, ...events: CloudEvent[]) {
  const producer = createEventProducer(kafka);
  await producer.connect();
  await producer.send({ [topic]: events }).finally(() => producer.disconnect());
}

/** The value of the metric `name` at the series matching `labels`; undefined when there is none. */
export async function metricValue(
  metrics: Metrics,
  name: string,
  labels: Record<string, string>,
): Promise<number | undefined> {
  const metric = await metrics.registry.getSingleMetric(name)?.get();
  const match = metric?.values.find((value) =>
    Object.entries(labels).every(([label, wanted]) => String(value.labels[label]) === wanted),
  );
  return match?.value;
}

/** A name no other test run uses, so tests stay independent and can run in parallel. */
export function uniqueName(base: string): string {
  return `test-${base}-${randomBytes(4).toString("hex")}`;
}

/** Creates fresh topics (and their `.dlq`); returns their names and a cleanup. */
export async function createTestTopics(kafka: KafkaClient, ...bases: string[]) {
  const topics = bases.map(uniqueName);
  await ensureTopics(kafka, topics);
  return {
    topics,
    async remove(): Promise<void> {
      const admin = kafka.admin();
      await admin.connect();
      await admin
        .deleteTopics({ topics: topics.flatMap((topic) => [topic, dlqTopic(topic)]) })
        .finally(() => admin.disconnect());
    },
  };
}

/** Every message of `topic` from the beginning, once there are at least `count`. */
export async function readMessages(
  kafka: KafkaClient,
  topic: string,
  count: number,
  timeoutMs = 20_000,
): Promise<ReceivedMessage[]> {
  const received: ReceivedMessage[] = [];
  let done: () => void = () => {};
  const enough = new Promise<void>((resolve) => {
    done = resolve;
  });
  const tail = await tailTopic(kafka, { topic, fromBeginning: true }, (message) => {
    received.push(message);
    if (received.length >= count) done();
  });
  const timer = setTimeout(done, timeoutMs);
  await enough;
  clearTimeout(timer);
  await tail.stop();
  if (received.length < count) {
    throw new Error(`${topic}: ${received.length} of ${count} messages within ${timeoutMs} ms`);
  }
  return received;
}

/** A small valid event whose payload is `{"id": id}`. */
export function testEvent(id: string, key = "aggregate-1"): CloudEvent {
  return {
    id,
    type: "test.Happened",
    source: "/test",
    time: new Date().toISOString(),
    key,
    payload: JSON.stringify({ id }),
  };
}

/** The committed offset of each partition of `topic` for `groupId` ("-1" where none). */
export async function committedOffsets(
  kafka: KafkaClient,
  groupId: string,
  topic: string,
): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return (offsets?.partitions ?? []).map((partition) => partition.offset);
  } finally {
    await admin.disconnect();
  }
}
