import {
  type BackgroundConsumer,
  consumeInBackground,
  type ServiceConsumerDeps,
} from "#shared/kafka/background";
import type { CloudEvent } from "#shared/kafka/cloudevents";
import type { ReceivedMessage } from "#shared/kafka/consumer";
import { TOPICS } from "#shared/kafka/topics";
import { type Notification, notificationOf } from "../domain/notification.js";
import { MalformedPaymentEvent, parsePaymentEvent } from "./payment-event.js";

/** The consumer group of the notification service on all three topics. */
export const NOTIFICATION_GROUP = "notification";

/** The topics consumed: every project topic goes into the event store. */
export const CONSUMED_TOPICS: readonly string[] = [TOPICS.payment, TOPICS.stock, TOPICS.basket];

/** What the consumer needs to store: `NotificationStore.recordEvent` (guarded). */
export type EventRecorder = {
  recordEvent(
    event: CloudEvent,
    message: Pick<ReceivedMessage, "topic" | "partition" | "offset">,
    notification: ReturnType<typeof notificationOf> | undefined,
  ): Promise<Notification | undefined>;
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
 * neither twice). The offset is committed after that transaction. A payment event that cannot be
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
      if (Number.isNaN(Date.parse(event.time))) {
        throw new MalformedPaymentEvent(`event ${event.id}: ce_time "${event.time}" is no time`);
      }
      const payment = parsePaymentEvent(event);
      const notification = payment && notificationOf(event.id, payment);
      const stored = await deps.store.recordEvent(event, message, notification);
      logger.debug(
        { eventId: event.id, type: event.type, topic: message.topic, notificationId: stored?.id },
        stored ? "notification stored" : "event recorded",
      );
    },
  });
}
