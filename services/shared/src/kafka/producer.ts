import { Partitioners, type Producer } from "kafkajs";
import type { Metrics } from "../metrics.js";
import type { KafkaClient } from "./client.js";
import { type CloudEvent, encodeCloudEvent } from "./cloudevents.js";
import { kafkaMetrics } from "./metrics.js";

/** Events to publish, grouped by topic; within a topic they are written in array order. */
export type EventsByTopic = Readonly<Record<string, readonly CloudEvent[]>>;

/** A producer for an outbox relay: see `createEventProducer`. */
export interface EventProducer {
  connect(): Promise<void>;
  /** Resolves once the broker has acknowledged every event (acks=all); rejects otherwise. */
  send(eventsByTopic: EventsByTopic): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * An idempotent producer (acks=all, one request in flight): a retried send never writes a
 * message twice nor reorders a partition, so events of one key arrive in the order given.
 * Keys are partitioned like the Java client (murmur2), so other tools agree on partitions.
 * When a send fails (kafkajs gave up retrying), the next one starts on a fresh producer id: a
 * resent batch then cannot clash with the sequence numbers of one that may have landed
 * (at worst it is written twice). With `metrics`, acknowledged messages count in
 * `shop_kafka_messages_published_total`.
 */
export function createEventProducer(kafka: KafkaClient, metrics?: Metrics): EventProducer {
  let producer = createIdempotentProducer(kafka);
  let connected: Promise<void> | undefined;
  const connect = () => {
    connected ??= producer.connect();
    return connected;
  };
  const published = metrics && kafkaMetrics(metrics.registry).published;
  return {
    connect,
    async send(eventsByTopic) {
      const topicMessages = Object.entries(eventsByTopic)
        .filter(([, events]) => events.length > 0)
        .map(([topic, events]) => ({ topic, messages: events.map(encodeCloudEvent) }));
      if (topicMessages.length === 0) return;
      try {
        await connect();
        await producer.sendBatch({ topicMessages, acks: -1 });
      } catch (error) {
        const failed = producer;
        producer = createIdempotentProducer(kafka);
        connected = undefined;
        await failed.disconnect().catch(() => {});
        throw error;
      }
      for (const { topic, messages } of topicMessages) published?.inc({ topic }, messages.length);
    },
    async disconnect() {
      connected = undefined;
      await producer.disconnect();
    },
  };
}

/** The producer settings every writer of this folder uses (events and dead letters). */
export function createIdempotentProducer(kafka: KafkaClient): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
}
