import { randomUUID } from "node:crypto";
import type { KafkaClient } from "./client.js";
import { type ReceivedMessage, toReceivedMessage } from "./consumer.js";

/**
 * Reads `topic` for a person watching it (`npm run topic`): every message, decoded or not, goes
 * to `onMessage`. It joins a throwaway group and commits nothing, so it never moves another
 * consumer's position and never dead-letters anything.
 */
export async function tailTopic(
  kafka: KafkaClient,
  options: { topic: string; fromBeginning: boolean },
  onMessage: (message: ReceivedMessage) => void,
): Promise<{ stop(): Promise<void> }> {
  const consumer = kafka.consumer({
    groupId: `topic-tail-${randomUUID()}`,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: options.topic, fromBeginning: options.fromBeginning });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic, partition, message }) =>
      onMessage(toReceivedMessage({ topic, partition }, message)),
  });
  return { stop: () => consumer.disconnect() };
}
