import type { KafkaClient } from "./client.js";

/** The project's topics (SPEC §6). Each has a dead-letter companion, `dlqTopic(name)`. */
export const TOPICS = {
  payment: "payment-events",
  stock: "stock-events",
  basket: "basket-events",
} as const;

/** Every topic the project publishes to, without their dead-letter topics. */
export const PROJECT_TOPICS: readonly string[] = Object.values(TOPICS);

/** Partitions per topic: order holds per key, and up to three consumers of a group share work. */
export const PARTITIONS = 3;

/** Where a consumer puts a message of `topic` that it cannot process. */
export function dlqTopic(topic: string): string {
  return `${topic}.dlq`;
}

/**
 * Creates each of `topics` and its `<topic>.dlq` with `PARTITIONS` partitions, unless it exists
 * (the broker never auto-creates: `auto.create.topics.enable=false`). Idempotent; an existing
 * topic keeps its partition count. Resolves when the broker has the topics' leaders elected.
 */
export async function ensureTopics(
  kafka: KafkaClient,
  topics: readonly string[] = PROJECT_TOPICS,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics
      .flatMap((topic) => [topic, dlqTopic(topic)])
      .filter((topic) => !existing.has(topic));
    if (missing.length === 0) return;
    // `createTopics` answers false when another process created one of them first: also fine.
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({
        topic,
        numPartitions: PARTITIONS,
        replicationFactor: -1,
      })),
    });
  } finally {
    await admin.disconnect();
  }
}
