import { create } from "@bufbuild/protobuf";
import { type Timestamp, timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { StoredEvent as StoredEventMessage } from "#gen/shop/notification/v1/event_store_pb";
import { StoredEventSchema } from "#gen/shop/notification/v1/event_store_pb";
import {
  NotificationKind as NotificationKindMessage,
  type Notification as NotificationMessage,
  NotificationSchema,
  type WatchNotificationsResponse,
  WatchNotificationsResponseSchema,
} from "#gen/shop/notification/v1/notification_pb";
import type { StoredEvent } from "../db/event-log.js";
import type { Notification, NotificationKind } from "../domain/notification.js";
import type { WatchItem } from "../live/notification-hub.js";

const KIND: Record<NotificationKind, NotificationKindMessage> = {
  payment_completed: NotificationKindMessage.PAYMENT_COMPLETED,
  payment_failed: NotificationKindMessage.PAYMENT_FAILED,
  payment_refunded: NotificationKindMessage.PAYMENT_REFUNDED,
};

export function toNotificationMessage(n: Notification): NotificationMessage {
  return create(NotificationSchema, {
    id: n.id,
    userId: n.userId,
    kind: KIND[n.kind],
    message: n.message,
    paymentId: n.paymentId,
    amount: n.amount,
    currency: n.currency,
    eventId: n.eventId,
    read: n.readAt !== undefined,
    createdAt: timestampFromDate(n.createdAt),
    readAt: n.readAt && timestampFromDate(n.readAt),
  });
}

export function toWatchResponse(item: WatchItem): WatchNotificationsResponse {
  return create(WatchNotificationsResponseSchema, {
    event:
      item.kind === "notification"
        ? { case: "notification", value: toNotificationMessage(item.notification) }
        : { case: "heartbeat", value: { sentAt: timestampFromDate(item.sentAt) } },
  });
}

export function toStoredEventMessage(e: StoredEvent): StoredEventMessage {
  return create(StoredEventSchema, {
    sequence: e.sequence,
    id: e.id,
    type: e.type,
    source: e.source,
    time: timestampFromDate(e.time),
    subject: e.subject ?? "",
    aggregateId: e.aggregateId,
    topic: e.topic,
    payload: e.payload,
    recordedAt: timestampFromDate(e.recordedAt),
  });
}

/** An optional Timestamp as a Date; undefined when unset. */
export function toDate(timestamp: Timestamp | undefined): Date | undefined {
  return timestamp && timestampDate(timestamp);
}
