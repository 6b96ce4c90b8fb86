import { randomUUID } from "node:crypto";
import { Code, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { EventStoreService } from "#gen/shop/notification/v1/event_store_pb";
import { NotificationService } from "#gen/shop/notification/v1/notification_pb";
import { codeOf } from "#shared-test/code-of";
import { type PrivateDatabase, startPrivatePostgres } from "#shared-test/private-servers";
import { connectNotificationDatabase } from "../src/db/connection.js";
import { migrateNotificationDatabase } from "../src/db/migrate.js";
import { notificationOf } from "../src/domain/notification.js";
import { testCaller } from "./support/caller.js";
import { serveTestApp } from "./support/database.js";
import { paymentOf } from "./support/events.js";
import { openStream } from "./support/streams.js";

// The service on a PostgreSQL of this file's own, which the tests stop and start.
let database: PrivateDatabase;

beforeAll(async () => {
  database = await startPrivatePostgres();
});
// Registered first, so it runs after the service's own clean-up has closed its pool.
afterAll(async () => {
  await database?.close();
});
const service = serveTestApp(async () => {
  await migrateNotificationDatabase(database.settings("notification_service"));
  return connectNotificationDatabase(database.settings("notification_service"));
});

const within = { timeoutMs: 15_000 };
const readyStatus = async () =>
  (await fetch(`${service.server.baseUrl}/ready`, { signal: AbortSignal.timeout(15_000) })).status;

/** Stores a completed payment's notification for `userId`, as the consumer does. */
async function notify(userId: string) {
  const event = paymentOf(userId, "7.25").completed();
  const payment = {
    kind: "payment_completed" as const,
    paymentId: event.key,
    userId,
    amount: "7.25",
    currency: "USD",
    reason: "",
    full: false,
  };
  const where = { topic: "payment-events", partition: 0, offset: "0" };
  return service.app.store
    .recordEvent(event, where, notificationOf(event.id, payment))
    .then(() => event.id);
}

describe("the notification service while PostgreSQL is down", () => {
  it("answers Unavailable and is not ready, then recovers by itself; open streams get notifications again", async () => {
    const transport = createGrpcTransport({
      baseUrl: service.server.baseUrl,
      interceptors: [testCaller],
    });
    const notifications = createClient(NotificationService, transport);
    const events = createClient(EventStoreService, transport);
    const userId = `user-${randomUUID()}`;
    const stream = await openStream(transport, userId);
    await stream.notification(await notify(userId));

    await database.stop();
    expect(await codeOf(notifications.listNotifications({ userId }, within))).toBe(
      Code.Unavailable,
    );
    expect(await codeOf(notifications.markRead({ userId, id: "1" }, within))).toBe(
      Code.Unavailable,
    );
    expect(await codeOf(events.listEvents({}, within))).toBe(Code.Unavailable);
    await expect(notify(userId)).rejects.toThrow(
      "notification database (PostgreSQL) is unavailable",
    );
    expect(await readyStatus()).toBe(503);

    await database.start();
    await vi.waitFor(async () => expect(await readyStatus()).toBe(200), {
      timeout: 20_000,
      interval: 200,
    });
    // The LISTEN session reconnects by itself: a notification stored now reaches the open stream.
    const after = await notify(userId);
    await stream.notification(after, 20_000);
    const { notifications: list } = await notifications.listNotifications({ userId }, within);
    expect(list).toHaveLength(2);
    stream.close();
    await stream.ended;
  });
});
