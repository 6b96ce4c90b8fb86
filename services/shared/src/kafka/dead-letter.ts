import type { KafkaMessage, Producer } from "kafkajs";
import { dlqTopic } from "./topics.js";

/**
 * Why a message went to its dead-letter topic: the handler kept failing (`handler`), the handler
 * said no retry can help (`rejected`, a PoisonMessageError), or it is no CloudEvent
 * (`undecodable`).
 */
export type DeadLetterReason = "handler" | "rejected" | "undecodable";

/** Where the message came from and why it failed, for the `dlq_*` headers. */
export interface DeadLetterContext {
  readonly topic: string;
  readonly partition: number;
  readonly group: string;
  readonly reason: DeadLetterReason;
  readonly error: unknown;
  readonly attempts: number;
}

/**
 * Writes `message` to `<topic>.dlq` unchanged — same key, value and headers, so it can be
 * replayed as it was — plus `dlq_*` headers saying where it came from and why it failed.
 * Resolves once the broker has acknowledged it.
 */
export async function sendToDeadLetterTopic(
  producer: Producer,
  message: KafkaMessage,
  context: DeadLetterContext,
): Promise<void> {
  const error = context.error instanceof Error ? context.error : new Error(String(context.error));
  await producer.send({
    topic: dlqTopic(context.topic),
    acks: -1,
    messages: [
      {
        key: message.key,
        value: message.value,
        headers: {
          ...message.headers,
          dlq_reason: context.reason,
          dlq_error: `${error.name}: ${error.message}`.slice(0, 1000),
          dlq_attempts: String(context.attempts),
          dlq_topic: context.topic,
          dlq_partition: String(context.partition),
          dlq_offset: message.offset,
          dlq_group: context.group,
          dlq_time: new Date().toISOString(),
        },
      },
    ],
  });
}
