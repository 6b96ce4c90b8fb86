import type { KafkaClient } from "#shared/kafka/client";
import type { ReceivedMessage } from "#shared/kafka/consumer";
import { tailTopic } from "#shared/kafka/tail";

/**
 * Reads `topic` from the beginning in a fresh consumer group (committing nothing) until
 * `enough(messages so far)` holds; rejects after `timeoutMs` naming what arrived.
 */
export async function readTopicUntil(
  kafka: KafkaClient,
  topic: string,
  enough: (messages: readonly ReceivedMessage[]) => boolean,
  timeoutMs = 60_000,
): Promise<ReceivedMessage[]> {
  const received: ReceivedMessage[] = [];
  let done: (ok: boolean) => void = () => {};
  const finished = new Promise<boolean>((resolve) => {
    done = resolve;
  });
  const tail = await tailTopic(kafka, { topic, fromBeginning: true }, (message) => {
    received.push(message);
    if (enough(received)) done(true);
  });
  const timer = setTimeout(() => done(false), timeoutMs);
  const ok = await finished;
  clearTimeout(timer);
  await tail.stop();
  if (!ok) throw new Error(`${topic}: not enough within ${timeoutMs} ms (${received.length} read)`);
  return received;
}

/** Whether `groupId` has committed every message of `topic` written so far. */
export async function consumedAll(
  kafka: KafkaClient,
  groupId: string,
  topic: string,
): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const at = new Map(committed?.partitions.map((p) => [p.partition, p.offset]));
    return ends.every(({ partition, high }) => high === "0" || at.get(partition) === high);
  } finally {
    await admin.disconnect();
  }
}

/** The `ce_id` of a message. */
export const ceId = (message: ReceivedMessage): string => message.headers.ce_id ?? "";
