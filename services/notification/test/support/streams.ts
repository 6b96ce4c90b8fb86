import { type Client, createClient, type Transport } from "@connectrpc/connect";
import {
  type Notification,
  NotificationService,
  type WatchNotificationsResponse,
} from "#gen/shop/notification/v1/notification_pb";

/** A WatchNotifications stream being read in the background, for tests. */
export type OpenStream = {
  /** Every message so far, with the local time it arrived. */
  readonly received: { readonly message: WatchNotificationsResponse; readonly at: number }[];
  /** Resolves with the first notification whose event id is `eventId` (with its arrival time). */
  notification(
    eventId: string,
    timeoutMs?: number,
  ): Promise<{ notification: Notification; at: number }>;
  /** Resolves once the stream ended; with the error if it ended with one. */
  readonly ended: Promise<unknown>;
  close(): void;
};

/**
 * Opens `userId`'s stream over `transport` and resolves once its first message (the heartbeat
 * that says the stream is subscribed) arrived: what is stored from then on must reach it.
 */
export async function openStream(transport: Transport, userId: string): Promise<OpenStream> {
  const client: Client<typeof NotificationService> = createClient(NotificationService, transport);
  const abort = new AbortController();
  const received: OpenStream["received"] = [];
  const waiters = new Set<() => void>();
  let subscribed: () => void = () => {};
  const first = new Promise<void>((resolve) => {
    subscribed = resolve;
  });
  const ended = (async () => {
    try {
      for await (const message of client.watchNotifications({ userId }, { signal: abort.signal })) {
        received.push({ message, at: Date.now() });
        subscribed();
        for (const wake of waiters) wake();
      }
      return undefined;
    } catch (error) {
      return error;
    } finally {
      subscribed();
      for (const wake of waiters) wake();
    }
  })();
  await first;
  return {
    received,
    ended,
    close: () => abort.abort(),
    notification(eventId, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no notification for event ${eventId} within ${timeoutMs} ms`));
        }, timeoutMs);
        const check = () => {
          for (const { message, at } of received) {
            if (message.event.case === "notification" && message.event.value.eventId === eventId) {
              clearTimeout(timer);
              waiters.delete(check);
              resolve({ notification: message.event.value, at });
              return;
            }
          }
        };
        waiters.add(check);
        check();
      });
    },
  };
}
