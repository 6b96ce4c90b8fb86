import type { CloudEvent } from "#shared/kafka/cloudevents";
import type { EventProducer } from "#shared/kafka/producer";
import type { OutboxRecord } from "./outbox-relay.js";

/** `ce_source` of every event the payment service publishes. */
export const EVENT_SOURCE = "/connect-shop/payment";

/**
 * The relay's `publish` over Kafka: each outbox row becomes one CloudEvent (binary mode: `ce_id`
 * = event id, `ce_type` = the message's full name, `ce_time` = the commit time, key = aggregate
 * id, value = the payload's JSON) on the row's topic, in row order, and the promise resolves once
 * the broker acknowledged all of them.
 */
export function kafkaPublish(
  producer: EventProducer,
): (records: readonly OutboxRecord[]) => Promise<void> {
  return (records) => {
    const byTopic: Record<string, CloudEvent[]> = {};
    for (const record of records) {
      const events = byTopic[record.topic] ?? [];
      byTopic[record.topic] = events;
      events.push(toCloudEvent(record));
    }
    return producer.send(byTopic);
  };
}

/** The CloudEvent of one outbox row. */
export function toCloudEvent(record: OutboxRecord): CloudEvent {
  return {
    id: record.eventId,
    type: record.eventType,
    source: EVENT_SOURCE,
    time: record.createdAt.toISOString(),
    subject: record.key,
    key: record.key,
    payload: record.payload,
  };
}
