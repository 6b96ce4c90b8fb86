import { randomUUID } from "node:crypto";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { describe, expect, it } from "vitest";
import { EventStoreService } from "#gen/shop/notification/v1/event_store_pb";
import { NotificationService } from "#gen/shop/notification/v1/notification_pb";
import { notificationOf } from "../src/domain/notification.js";
import { testCaller } from "./support/caller.js";
import { openTestDatabase, serveTestApp } from "./support/database.js";
import { paymentOf } from "./support/events.js";

const service = serveTestApp(openTestDatabase);

const clients = () => {
  const transport = createGrpcTransport({
    baseUrl: service.server.baseUrl,
    interceptors: [testCaller],
  });
  return {
    notifications: createClient(NotificationService, transport),
    events: createClient(EventStoreService, transport),
  };
};

/** Stores `count` completed-payment notifications for `userId`, as the consumer would. */
async function notify(userId: string, count: number) {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const event = paymentOf(userId, `${i + 1}.00`).completed();
    const stored = await service.app.store.recordEvent(
      event,
      { topic: "payment-events", partition: 0, offset: "0" },
      notificationOf(event.id, {
        kind: "payment_completed",
        paymentId: event.key,
        userId,
        amount: `${i + 1}.00`,
        currency: "USD",
        reason: "",
        full: false,
      }),
    );
    ids.push(stored?.id ?? "");
  }
  return ids;
}

async function failure(call: Promise<unknown>): Promise<{ code: Code; message: string }> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ConnectError)) throw new Error(`expected a ConnectError, got ${error}`);
  return { code: error.code, message: error.rawMessage };
}

describe("ListNotifications", () => {
  it("pages newest first, with an unread-only filter, and a token bound to its query", async () => {
    const userId = `user-${randomUUID()}`;
    const ids = await notify(userId, 5);
    const { notifications } = clients();

    const page1 = await notifications.listNotifications({ userId, pageSize: 2 });
    const page2 = await notifications.listNotifications({
      userId,
      pageSize: 2,
      pageToken: page1.nextPageToken,
    });
    const page3 = await notifications.listNotifications({
      userId,
      pageSize: 2,
      pageToken: page2.nextPageToken,
    });
    const seen = [...page1.notifications, ...page2.notifications, ...page3.notifications];
    expect(seen.map((n) => n.id)).toEqual([...ids].reverse());
    expect(page3.nextPageToken).toBe("");

    await notifications.markRead({ userId, id: ids[4] ?? "" });
    await notifications.markRead({ userId, id: ids[1] ?? "" });
    const unread = await notifications.listNotifications({ userId, unreadOnly: true });
    expect(unread.notifications.map((n) => n.id)).toEqual([ids[3], ids[2], ids[0]]);

    const other = await failure(
      notifications.listNotifications({ userId: `x-${userId}`, pageToken: page1.nextPageToken }),
    );
    expect(other).toEqual({
      code: Code.InvalidArgument,
      message: "page_token: does not match the query",
    });
    const unreadToken = await failure(
      notifications.listNotifications({ userId, unreadOnly: true, pageToken: page1.nextPageToken }),
    );
    expect(unreadToken.code).toBe(Code.InvalidArgument);
  });

  it("refuses a malformed page token, page size or user id with InvalidArgument", async () => {
    const { notifications } = clients();
    const userId = `user-${randomUUID()}`;
    expect(
      await failure(notifications.listNotifications({ userId, pageToken: "not-a-token" })),
    ).toEqual({
      code: Code.InvalidArgument,
      message: "page_token: is malformed",
    });
    expect((await failure(notifications.listNotifications({ userId, pageSize: 501 }))).code).toBe(
      Code.InvalidArgument,
    );
    expect(await failure(notifications.listNotifications({ userId: "" }))).toEqual({
      code: Code.InvalidArgument,
      message: "user_id: is required",
    });
  });
});

describe("MarkRead", () => {
  it("marks the user's own notification once, keeping its first read time", async () => {
    const userId = `user-${randomUUID()}`;
    const [id = ""] = await notify(userId, 1);
    const { notifications } = clients();
    const first = await notifications.markRead({ userId, id });
    const again = await notifications.markRead({ userId, id });
    expect(first.notification?.read).toBe(true);
    expect(again.notification?.readAt).toEqual(first.notification?.readAt);
  });

  it("answers NotFound for an unknown id and for another user's notification, and changes nothing", async () => {
    const owner = `owner-${randomUUID()}`;
    const [id = ""] = await notify(owner, 1);
    const { notifications } = clients();

    expect(
      await failure(notifications.markRead({ userId: `intruder-${randomUUID()}`, id })),
    ).toEqual({
      code: Code.NotFound,
      message: `notification ${id} not found`,
    });
    expect(
      (await failure(notifications.markRead({ userId: owner, id: "999999999999" }))).code,
    ).toBe(Code.NotFound);
    expect((await failure(notifications.markRead({ userId: owner, id: "abc" }))).code).toBe(
      Code.InvalidArgument,
    );
    const { notifications: list } = await notifications.listNotifications({ userId: owner });
    expect(list.map((n) => [n.id, n.read])).toEqual([[id, false]]);
  });
});

describe("WatchNotifications and ListEvents input", () => {
  it("refuses a stream without a user id, and an event page token or time range that is wrong", async () => {
    const { notifications, events } = clients();
    const stream = notifications.watchNotifications({ userId: "" });
    const error = await (async () => {
      for await (const _ of stream) return undefined;
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.InvalidArgument);

    expect((await failure(events.listEvents({ pageToken: "%%%" }))).code).toBe(
      Code.InvalidArgument,
    );
    const page = await events.listEvents({ pageSize: 1 });
    if (page.nextPageToken !== "") {
      const moved = await failure(
        events.listEvents({ pageSize: 1, type: "x", pageToken: page.nextPageToken }),
      );
      expect(moved.message).toBe("page_token: does not match the query");
    }
    const later = { seconds: 2_000_000_000n, nanos: 0 };
    const earlier = { seconds: 1_000_000_000n, nanos: 0 };
    expect(await failure(events.listEvents({ startTime: later, endTime: earlier }))).toEqual({
      code: Code.InvalidArgument,
      message: "end_time: must be after start_time",
    });
  });
});
