import { describe, expect, it, vi } from "vitest";
import { createMetrics } from "#shared/metrics";
import { testLogger } from "#shared-test/kafka";
import type { Notification } from "../src/domain/notification.js";
import { createNotificationHub, type WatchItem } from "../src/live/notification-hub.js";

/** A stand-in for PostgreSQL's LISTEN/NOTIFY whose LISTEN session can be silently lost. */
function fakeChannel() {
  const sessions: { onNotify: (payload: string) => void; alive: boolean }[] = [];
  return {
    sessions,
    listen: async (onNotify: (payload: string) => void, onListen: () => void) => {
      const session = { onNotify, alive: true };
      sessions.push(session);
      onListen();
      return {
        unlisten: async () => {
          session.alive = false;
        },
      };
    },
    notify: (payload: string) => {
      for (const session of sessions) if (session.alive) session.onNotify(payload);
    },
    /** The session stops hearing anything, as after a failed reconnection. */
    lose: () => {
      for (const session of sessions) session.alive = false;
    },
  };
}

function notification(id: string, userId: string): Notification {
  return {
    id,
    userId,
    kind: "payment_completed",
    message: "Payment of 1.00 USD completed",
    paymentId: "p",
    amount: "1.00",
    currency: "USD",
    eventId: `e-${id}`,
    createdAt: new Date(),
    readAt: undefined,
  };
}

/** Reads `stream` in the background into `items`. */
function collect(stream: AsyncGenerator<WatchItem>) {
  const items: WatchItem[] = [];
  const done = (async () => {
    for await (const item of stream) items.push(item);
  })();
  const notifications = () =>
    items.flatMap((item) => (item.kind === "notification" ? [item.notification.id] : []));
  return { items, done, notifications };
}

describe("the notification hub", () => {
  it("listens again when its LISTEN session went deaf, and sends the stream what it missed, once", async () => {
    const channel = fakeChannel();
    const stored: Notification[] = [];
    const hub = createNotificationHub({
      listen: channel.listen,
      parse: (payload) => JSON.parse(payload),
      storedSince: async (users) => stored.filter((n) => users.includes(n.userId)),
      ping: async (payload) => channel.notify(payload),
      logger: testLogger(),
      metrics: createMetrics(),
      heartbeatMs: 60_000,
      listenCheckMs: 20,
    });
    await hub.start();
    const abort = new AbortController();
    const stream = collect(hub.watch("alice", abort.signal));
    const first = notification("1", "alice");
    stored.push(first);
    channel.notify(JSON.stringify(first));
    await vi.waitFor(() => expect(stream.notifications()).toEqual(["1"]));

    channel.lose();
    const missed = notification("2", "alice");
    stored.push(missed, notification("3", "bob"));
    channel.notify(JSON.stringify(missed)); // nobody hears it

    await vi.waitFor(() => expect(stream.notifications()).toEqual(["1", "2"]), { timeout: 5_000 });
    expect(channel.sessions.length).toBeGreaterThanOrEqual(2);
    const live = notification("4", "alice");
    channel.notify(JSON.stringify(live));
    await vi.waitFor(() => expect(stream.notifications()).toEqual(["1", "2", "4"]));

    await hub.close();
    await stream.done;
    expect(hub.openStreams()).toBe(0);
  });

  it("keeps a healthy LISTEN session as it is", async () => {
    const channel = fakeChannel();
    const pings: string[] = [];
    const hub = createNotificationHub({
      listen: channel.listen,
      parse: () => undefined,
      storedSince: async () => [],
      ping: async (payload) => {
        pings.push(payload);
        channel.notify(payload);
      },
      logger: testLogger(),
      metrics: createMetrics(),
      heartbeatMs: 60_000,
      listenCheckMs: 10,
    });
    await hub.start();
    await vi.waitFor(() => expect(pings.length).toBeGreaterThanOrEqual(5));
    await hub.close();
    expect(channel.sessions).toHaveLength(1);
  });
});
