import { EventStoreService } from "#gen/shop/notification/v1/event_store_pb";
import { NotificationService } from "#gen/shop/notification/v1/notification_pb";
import type { Logger } from "#shared/logger";
import type { Metrics } from "#shared/metrics";
import { bindService, type ServiceBinding } from "#shared/server/service-server";
import { callStore, guardStore } from "#shared/store-errors";
import { NOTIFICATION_DATABASE, type NotificationSql } from "./db/connection.js";
import { createEventLog } from "./db/event-log.js";
import {
  checkDatabase,
  createNotificationStore,
  NOTIFICATION_CHANNEL,
  type NotificationStore,
  parseAnnouncement,
} from "./db/notification-store.js";
import { createNotificationHub, type NotificationHub } from "./live/notification-hub.js";
import { createEventStoreService } from "./rpc/event-store-service.js";
import { createNotificationService } from "./rpc/notification-service.js";

/** Longest wait of a readiness probe: /ready answers 503 rather than hang on a silent database. */
const READY_DEADLINE = { ...NOTIFICATION_DATABASE, deadlineMs: 1_500 };

export type NotificationApp = {
  services: ServiceBinding[];
  isReady: () => Promise<boolean>;
  /** The store, every call bounded and a database outage as Unavailable: the consumer's too. */
  store: NotificationStore;
  /** The open streams of this instance; `close()` it before closing the server. */
  hub: NotificationHub;
  metrics: Metrics;
};

/**
 * What the notification service serves, given its database; shared by main.ts and the tests.
 * Resolves once the instance LISTENs for new notifications, so a stream opened from then on
 * misses none.
 */
export async function createNotificationApp(
  sql: NotificationSql,
  deps: { logger: Logger; metrics: Metrics; heartbeatMs: number; listenCheckMs?: number },
): Promise<NotificationApp> {
  const store = guardStore(createNotificationStore(sql), NOTIFICATION_DATABASE);
  const events = guardStore(createEventLog(sql), NOTIFICATION_DATABASE);
  const hub = createNotificationHub({
    ...deps,
    listen: (onNotify, onListen) => sql.listen(NOTIFICATION_CHANNEL, onNotify, onListen),
    parse: parseAnnouncement,
    storedSince: store.storedSince,
    ping: async (payload) => {
      await callStore(
        NOTIFICATION_DATABASE,
        () => sql`SELECT pg_notify(${NOTIFICATION_CHANNEL}, ${payload})`,
      );
    },
    listenCheckMs: deps.listenCheckMs ?? 10_000,
  });
  await hub.start();
  return {
    services: [
      bindService(
        NotificationService,
        createNotificationService({ store, hub, logger: deps.logger }),
      ),
      bindService(EventStoreService, createEventStoreService(events)),
    ],
    isReady: () =>
      callStore(READY_DEADLINE, () => checkDatabase(sql)).then(
        () => true,
        () => false,
      ),
    store,
    hub,
    metrics: deps.metrics,
  };
}
