import type { IHeaders, KafkaMessage, Message } from "kafkajs";
import type { KafkaClient } from "./client.js";
import { createIdempotentProducer } from "./producer.js";

/** The consumer group whose committed offsets say how far each dead-letter topic was replayed. */
export const REPLAY_GROUP = "dlq-replay";

/** What one replay sent, by the topic each message went back to. */
export type ReplayReport = Readonly<Record<string, number>>;

/**
 * Sends the messages of the dead-letter topic `dlq` back to the topics they came from (their
 * `dlq_topic` header), as they first arrived: the same key (so the same partition), value and
 * headers, without the `dlq_*` ones. Once the fix for what failed is deployed, the consumers
 * then handle them like any other event; they deduplicate by event id, so a message sent back
 * twice changes nothing more.
 *
 * Each partition's position is committed in `groupId` only after the broker acknowledged the
 * copies, so a replay run again sends only what arrived since. It stops at the end each
 * partition had when it began: a message that fails again comes back to `dlq` and waits for the
 * next replay instead of circling.
 */
export async function replayDeadLetters(
  kafka: KafkaClient,
  dlq: string,
  groupId = REPLAY_GROUP,
): Promise<ReplayReport> {
  const ends = await unreplayedEnds(kafka, dlq, groupId);
  if (ends.size === 0) return {};
  const sent: Record<string, number> = {};
  const producer = createIdempotentProducer(kafka);
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  const done = Promise.withResolvers<void>();
  try {
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topic: dlq, fromBeginning: true });
    consumer.on(consumer.events.CRASH, ({ payload }) => done.reject(payload.error));
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, commitOffsetsIfNecessary }) => {
        const end = ends.get(batch.partition);
        if (end === undefined) return;
        const due = batch.messages.filter((message) => BigInt(message.offset) < end);
        const last = due.at(-1);
        if (last === undefined) return;
        const byTopic = Map.groupBy(due, (message) => originOf(message, dlq));
        await producer.sendBatch({
          acks: -1,
          topicMessages: [...byTopic].map(([topic, messages]) => ({
            topic,
            messages: messages.map(asFirstSent),
          })),
        });
        for (const [topic, messages] of byTopic) sent[topic] = (sent[topic] ?? 0) + messages.length;
        const next = BigInt(last.offset) + 1n;
        await commitOffsetsIfNecessary({
          topics: [{ topic: dlq, partitions: [{ partition: batch.partition, offset: `${next}` }] }],
        });
        if (next >= end) ends.delete(batch.partition);
        if (ends.size === 0) done.resolve();
      },
    });
    await done.promise;
    return sent;
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
  }
}

/** Each partition of `dlq` that holds messages `groupId` has not replayed: its end offset. */
async function unreplayedEnds(
  kafka: KafkaClient,
  dlq: string,
  groupId: string,
): Promise<Map<number, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const partitions = await admin.fetchTopicOffsets(dlq);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [dlq] });
    const ends = new Map<number, bigint>();
    for (const { partition, offset, low } of partitions) {
      const position = committed?.partitions.find((p) => p.partition === partition)?.offset;
      const from = position === undefined || position === "-1" ? BigInt(low) : BigInt(position);
      if (from < BigInt(offset)) ends.set(partition, BigInt(offset));
    }
    return ends;
  } finally {
    await admin.disconnect();
  }
}

/** The topic a dead letter came from: its `dlq_topic` header, else the name before `.dlq`. */
function originOf(message: KafkaMessage, dlq: string): string {
  return message.headers?.dlq_topic?.toString() || dlq.replace(/\.dlq$/, "");
}

/** The message as its producer first sent it: the dead-letter headers dropped. */
function asFirstSent(message: KafkaMessage): Message {
  const headers: IHeaders = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (!name.startsWith("dlq_") && value !== undefined) headers[name] = value;
  }
  return { key: message.key, value: message.value, headers };
}
