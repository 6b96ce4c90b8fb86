import { NotFound } from "#shared/errors";
import type { CloudEvent } from "#shared/kafka/cloudevents";
import type { ReceivedMessage } from "#shared/kafka/consumer";
import type { NewNotification, Notification, NotificationKind } from "../domain/notification.js";
import { encodePageToken } from "../domain/page-token.js";
import { type NotificationListQuery, notificationListFilters } from "../domain/queries.js";
import type { NotificationSql } from "./connection.js";

/**
 * The PostgreSQL channel a stored notification is announced on, by `pg_notify` in the
 * transaction that stores it: every instance LISTENs and pushes it to its own open streams.
 */
export const NOTIFICATION_CHANNEL = "shop_notifications";

/** One page of a notification list; `nextPageToken` is "" on the last page. */
export type NotificationPage = { notifications: Notification[]; nextPageToken: string };

type NotificationRow = {
  id: string;
  user_id: string;
  kind: NotificationKind;
  message: string;
  payment_id: string;
  amount: string;
  currency: string;
  event_id: string;
  created_at: Date | string;
  read_at: Date | string | null;
};

// `id` is read as text: in ORDER BY, qualify the column (notifications.id), or the text wins.
const COLUMNS = `id::text AS id, user_id, kind, message, payment_id, amount, currency, event_id,
  created_at, read_at`;

/** The notification tables behind plain functions, over the service's postgres.js pool. */
export function createNotificationStore(sql: NotificationSql) {
  const store = {
    /**
     * Appends `event` to the event log and stores `notification` (if any), in ONE transaction,
     * each at most once per event id however often the event is delivered. A notification that
     * is new is announced on NOTIFICATION_CHANNEL in the same transaction, so only committed
     * notifications are announced. Resolves with it when new, undefined for a replay.
     */
    async recordEvent(
      event: CloudEvent,
      message: Pick<ReceivedMessage, "topic" | "partition" | "offset">,
      notification: NewNotification | undefined,
    ): Promise<Notification | undefined> {
      const [stored] = await store.recordEvents([{ event, message, notification }]);
      return stored;
    },

    /**
     * `recordEvent` for several events in ONE transaction of two statements (however many
     * events): every event appended to the log and every notification stored, each at most once
     * per event id, new notifications announced as `recordEvent` does. Resolves with the new
     * notifications.
     */
    async recordEvents(records: readonly EventRecord[]): Promise<Notification[]> {
      if (records.length === 0) return [];
      const logRows = records.map(({ event, message }) => eventLogRow(event, message));
      const newRows = records.flatMap(({ notification: n }) =>
        n
          ? [
              {
                user_id: n.userId,
                kind: n.kind,
                message: n.message,
                payment_id: n.paymentId,
                amount: n.amount,
                currency: n.currency,
                event_id: n.eventId,
              },
            ]
          : [],
      );
      return sql.begin(async (tx) => {
        await tx`INSERT INTO event_log ${tx(logRows)} ON CONFLICT (event_id) DO NOTHING`;
        if (newRows.length === 0) return [];
        const rows = await tx<NotificationRow[]>`
          WITH inserted AS (
            INSERT INTO notifications ${tx(newRows)}
            ON CONFLICT (event_id) DO NOTHING
            RETURNING *
          )
          SELECT ${tx.unsafe(COLUMNS)},
            pg_notify(${NOTIFICATION_CHANNEL}, json_build_object(
              'id', id::text, 'user_id', user_id, 'kind', kind, 'message', message,
              'payment_id', payment_id, 'amount', amount, 'currency', currency,
              'event_id', event_id, 'created_at', created_at, 'read_at', read_at)::text)
          FROM inserted ORDER BY id`;
        return rows.map(toNotification);
      });
    },

    /** One page of a user's notifications, newest first. */
    async list(query: NotificationListQuery): Promise<NotificationPage> {
      const rows = await sql<NotificationRow[]>`
        SELECT ${sql.unsafe(COLUMNS)} FROM notifications
        WHERE user_id = ${query.userId}
          ${query.unreadOnly ? sql`AND read_at IS NULL` : sql``}
          ${query.before === undefined ? sql`` : sql`AND id < ${String(query.before)}::bigint`}
        ORDER BY notifications.id DESC
        LIMIT ${query.pageSize + 1}`;
      const page = rows.slice(0, query.pageSize).map(toNotification);
      const last = page.at(-1);
      const more = rows.length > query.pageSize && last !== undefined;
      return {
        notifications: page,
        nextPageToken: more ? encodePageToken(BigInt(last.id), notificationListFilters(query)) : "",
      };
    },

    /**
     * Marks the user's notification `id` read (the first read time stays); NotFound when the
     * user has no notification with that id, whoever else has one.
     */
    async markRead(userId: string, id: bigint): Promise<Notification> {
      const [row] = await sql<NotificationRow[]>`
        UPDATE notifications SET read_at = coalesce(read_at, now())
        WHERE id = ${String(id)}::bigint AND user_id = ${userId}
        RETURNING ${sql.unsafe(COLUMNS)}`;
      if (!row) throw new NotFound("notification", id);
      return toNotification(row);
    },

    /** The notifications of `userIds` stored at or after `since`, oldest first (at most 500). */
    async storedSince(userIds: readonly string[], since: Date): Promise<Notification[]> {
      if (userIds.length === 0) return [];
      const rows = await sql<NotificationRow[]>`
        SELECT ${sql.unsafe(COLUMNS)} FROM notifications
        WHERE user_id = ANY(${sql.array([...userIds])}) AND created_at >= ${since}
        ORDER BY notifications.id LIMIT 500`;
      return rows.map(toNotification);
    },
  };
  return store;
}

export type NotificationStore = ReturnType<typeof createNotificationStore>;

/** One consumed event for `recordEvents`, with the notification it makes, if any. */
export type EventRecord = {
  readonly event: CloudEvent;
  readonly message: Pick<ReceivedMessage, "topic" | "partition" | "offset">;
  readonly notification: NewNotification | undefined;
};

/** The event_log row of `event`, column by column. */
function eventLogRow(event: CloudEvent, message: EventRecord["message"]) {
  return {
    event_id: event.id,
    type: event.type,
    source: event.source,
    time: event.time,
    subject: event.subject ?? null,
    aggregate_id: event.key,
    topic: message.topic,
    partition: message.partition,
    offset: message.offset,
    payload: event.payload,
    traceparent: event.traceparent ?? null,
  };
}

/** A row, or the JSON of a NOTIFY payload (same column names), as a Notification. */
export function toNotification(row: NotificationRow): Notification {
  return {
    id: row.id,
    userId: row.user_id,
    kind: row.kind,
    message: row.message,
    paymentId: row.payment_id,
    amount: row.amount,
    currency: row.currency,
    eventId: row.event_id,
    createdAt: new Date(row.created_at),
    readAt: row.read_at === null ? undefined : new Date(row.read_at),
  };
}

/** The payload of a NOTIFY on NOTIFICATION_CHANNEL; undefined when it is not one of ours. */
export function parseAnnouncement(payload: string): Notification | undefined {
  try {
    const row = JSON.parse(payload) as NotificationRow;
    if (typeof row.id !== "string" || typeof row.user_id !== "string") return undefined;
    return toNotification(row);
  } catch {
    return undefined;
  }
}

/** Resolves when the database answers a trivial query. */
export async function checkDatabase(sql: NotificationSql): Promise<void> {
  await sql`SELECT 1`;
}
