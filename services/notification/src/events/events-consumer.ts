import {
  type BackgroundConsumer,
  consumeInBackground,
  type ServiceConsumerDeps,
} from "#shared/kafka/background";
import type { CloudEvent } from "#shared/kafka/cloudevents";
import type { ReceivedMessage } from "#shared/kafka/consumer";
import { TOPICS } from "#shared/kafka/topics";
import type { EventRecord } from "../db/notification-store.js";
import { type Notification, notificationOf } from "../domain/notification.js";
import { MalformedPaymentEvent, parsePaymentEvent } from "./payment-event.js";

/** The consumer group of the notification service on all three topics. */
export const NOTIFICATION_GROUP = "notification";

/** The topics consumed: every project topic goes into the event store. */
export const CONSUMED_TOPICS: readonly string[] = [TOPICS.payment, TOPICS.stock, TOPICS.basket];

/** What the consumer needs to store: `NotificationStore.recordEvent(s)` (guarded). */
export type EventRecorder = {
  recordEvent(
    event: CloudEvent,
    message: EventRecord["message"],
    notification: EventRecord["notification"],
  ): Promise<Notification | undefined>;
  recordEvents(records: readonly EventRecord[]): Promise<Notification[]>;
};

export type EventsConsumerDeps = Omit<ServiceConsumerDeps, "topic"> & {
  readonly store: EventRecorder;
  /** Tests: their own topics instead of CONSUMED_TOPICS. */
  readonly topics?: readonly string[];
};

/**
 * Consumes payment-events, stock-events and basket-events: every event goes into the event
 * store once per id, and each PaymentCompleted, PaymentFailed and PaymentRefunded also becomes
 * one notification for the payment's user, in the same transaction (so a redelivery adds
 * neither twice); the events of one fetch share one transaction. The offset is committed after
 * that transaction. A payment event that cannot be
 * read, or an event whose `time` is no timestamp, goes to `<topic>.dlq` at once; a database
 * outage is retried with backoff, then dead-lettered.
 */
export function consumeEvents(deps: EventsConsumerDeps): BackgroundConsumer {
  const { kafka, logger, metrics, maxAttempts, backoff, retryMs } = deps;
  return consumeInBackground(kafka, {
    groupId: deps.groupId ?? `${deps.groupPrefix ?? ""}${NOTIFICATION_GROUP}`,
    topics: deps.topics ?? CONSUMED_TOPICS,
    logger,
    metrics,
    maxAttempts,
    backoff,
    retryMs,
    handle: async (event, message) => {
      const record = toEventRecord(event, message);
      const stored = await deps.store.recordEvent(event, message, record.notification);
      logger.debug(
        { eventId: event.id, type: event.type, topic: message.topic, notificationId: stored?.id },
        stored ? "notification stored" : "event recorded",
      );
    },
    // A fetched run of events in one transaction: one commit instead of one per event.
    handleBatch: async (received) => {
      const records = received.map(({ event, message }) => toEventRecord(event, message));
      const stored = await deps.store.recordEvents(records);
      logger.debug({ events: records.length, notifications: stored.length }, "events recorded");
    },
  });
}

/**
 * What the store keeps of `event`: the event, and the notification of a payment event. Throws
 * MalformedPaymentEvent for a payment event that cannot be read or an event whose `time` is no
 * timestamp.
 */
function toEventRecord(event: CloudEvent, message: ReceivedMessage): EventRecord {
  if (Number.isNaN(Date.parse(event.time))) {
    throw new MalformedPaymentEvent(`event ${event.id}: ce_time "${event.time}" is no time`);
  }
  const payment = parsePaymentEvent(event);
  return { event, message, notification: payment && notificationOf(event.id, payment) };
}
