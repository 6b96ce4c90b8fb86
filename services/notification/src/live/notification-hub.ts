import { randomUUID } from "node:crypto";
import { Gauge } from "prom-client";
import { DependencyUnavailable } from "#shared/errors";
import type { Logger } from "#shared/logger";
import type { Metrics } from "#shared/metrics";
import type { Notification } from "../domain/notification.js";

/** What a WatchNotifications stream carries. */
export type WatchItem =
  | { readonly kind: "notification"; readonly notification: Notification }
  | { readonly kind: "heartbeat"; readonly sentAt: Date };

/** A LISTEN on the notification channel, as postgres.js's `sql.listen` gives it. */
export type Listen = (
  onNotify: (payload: string) => void,
  onListen: () => void,
) => Promise<{ unlisten(): Promise<void> }>;

export type NotificationHubDeps = {
  /** LISTENs on the channel; `onListen` runs on every (re)connection of the listening session. */
  readonly listen: Listen;
  /** A NOTIFY payload as a notification; undefined for one that is not. */
  readonly parse: (payload: string) => Notification | undefined;
  /** Stored notifications of these users since `since`: what a reconnection may have missed. */
  readonly storedSince: (userIds: readonly string[], since: Date) => Promise<Notification[]>;
  /** Sends `payload` on the channel through the pool (NOTIFY): the LISTEN check's probe. */
  readonly ping: (payload: string) => Promise<void>;
  /**
   * How often the LISTEN session is checked by a probe sent to itself, and how long its echo may
   * take; when the echo does not come, the hub LISTENs anew and catches up.
   */
  readonly listenCheckMs: number;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Pause between heartbeats on an idle stream. */
  readonly heartbeatMs: number;
};

/** How far before a stream opened a catch-up looks (clock skew, transactions in flight). */
const CATCH_UP_MARGIN_MS = 5_000;
/** Ids each stream remembers so that a catch-up never sends one twice. */
const REMEMBERED_IDS = 1_000;

type Subscriber = {
  readonly userId: string;
  readonly openedAt: Date;
  readonly queue: Notification[];
  readonly delivered: Set<string>;
  wake: (() => void) | undefined;
  ended: boolean;
};

/**
 * The live side of notifications in one instance: one LISTEN session on PostgreSQL, and the open
 * WatchNotifications streams of this instance by user. Whichever instance stored a notification,
 * its transaction's NOTIFY reaches every instance's LISTEN, and each pushes it to its own streams.
 * After the LISTEN session reconnects (PostgreSQL restarted), what was stored meanwhile is read
 * back for the open streams; each stream sends an id at most once.
 */
export function createNotificationHub(deps: NotificationHubDeps) {
  const { logger, heartbeatMs } = deps;
  const byUser = new Map<string, Set<Subscriber>>();
  const openStreams = openStreamsGauge(deps.metrics);
  let listening: { unlisten(): Promise<void> } | undefined;
  let listens = 0;
  let closing = false;

  const deliver = (subscriber: Subscriber, notification: Notification) => {
    if (subscriber.ended || subscriber.delivered.has(notification.id)) return;
    subscriber.delivered.add(notification.id);
    if (subscriber.delivered.size > REMEMBERED_IDS) {
      const [oldest] = subscriber.delivered;
      if (oldest !== undefined) subscriber.delivered.delete(oldest);
    }
    subscriber.queue.push(notification);
    subscriber.wake?.();
  };

  // The LISTEN check's probe: `sent` once the pool delivered it, `echoed` once LISTEN heard it.
  const probe = { token: "", sent: false, echoed: false };
  let checking = false;

  const onNotify = (payload: string) => {
    if (payload.startsWith("ping:")) {
      if (payload === probe.token) probe.echoed = true;
      return;
    }
    const notification = deps.parse(payload);
    if (!notification) return logger.warn({ payload }, "unreadable notification announcement");
    for (const subscriber of byUser.get(notification.userId) ?? [])
      deliver(subscriber, notification);
  };

  const catchUp = async () => {
    const subscribers = [...byUser.values()].flatMap((set) => [...set]);
    if (subscribers.length === 0) return;
    const oldest = Math.min(...subscribers.map((s) => s.openedAt.getTime()));
    try {
      const missed = await deps.storedSince(
        [...byUser.keys()],
        new Date(oldest - CATCH_UP_MARGIN_MS),
      );
      for (const notification of missed) {
        for (const subscriber of byUser.get(notification.userId) ?? []) {
          const from = subscriber.openedAt.getTime() - CATCH_UP_MARGIN_MS;
          if (notification.createdAt.getTime() >= from) deliver(subscriber, notification);
        }
      }
      logger.info(
        { streams: subscribers.length, read: missed.length },
        "notification catch-up done",
      );
    } catch (error) {
      logger.warn({ err: error }, "notification catch-up after a LISTEN reconnection failed");
    }
  };

  const onListen = () => {
    listens++;
    if (listens === 1) return;
    logger.info({ listens }, "notification LISTEN re-established");
    void catchUp();
  };

  /**
   * postgres.js LISTENs again by itself when its session closes, but gives up silently when that
   * one attempt fails (the server still starting up, a connect timeout). So a probe sent through
   * the pool must come back through the LISTEN session by the next check, or the hub LISTENs
   * anew (and catches up, from `onListen`). A probe the pool could not send proves nothing.
   */
  const checkListen = async () => {
    if (closing || !listening || checking) return;
    checking = true;
    try {
      if (probe.sent && !probe.echoed) {
        logger.warn("notification LISTEN lost (its probe did not come back); listening again");
        probe.sent = false;
        await listening.unlisten().catch(() => {});
        listening = await deps.listen(onNotify, onListen);
        return;
      }
      probe.token = `ping:${randomUUID()}`;
      probe.echoed = false;
      probe.sent = await deps.ping(probe.token).then(
        () => true,
        () => false,
      );
    } catch (error) {
      logger.warn({ err: error }, "notification LISTEN failed; trying again at the next check");
    } finally {
      checking = false;
    }
  };
  let checkTimer: NodeJS.Timeout | undefined;

  const subscribe = (userId: string): Subscriber => {
    const subscriber: Subscriber = {
      userId,
      openedAt: new Date(),
      queue: [],
      delivered: new Set(),
      wake: undefined,
      ended: false,
    };
    const set = byUser.get(userId) ?? new Set();
    set.add(subscriber);
    byUser.set(userId, set);
    openStreams.inc();
    return subscriber;
  };

  const unsubscribe = (subscriber: Subscriber) => {
    subscriber.ended = true;
    const set = byUser.get(subscriber.userId);
    if (set?.delete(subscriber)) openStreams.dec();
    if (set?.size === 0) byUser.delete(subscriber.userId);
  };

  return {
    /** LISTENs; resolves once the session listens, so streams opened after see every commit. */
    async start(): Promise<void> {
      listening = await deps.listen(onNotify, onListen);
      checkTimer = setInterval(() => void checkListen(), deps.listenCheckMs);
      checkTimer.unref();
    },

    /**
     * The stream of `userId`: a heartbeat at once (the stream is subscribed from then on), then
     * each notification of the user stored from then on, and a heartbeat after every
     * `heartbeatMs` without one. Ends when `signal` aborts (the caller went away) or the hub
     * closes. Throws DependencyUnavailable while the hub is closing.
     */
    async *watch(userId: string, signal: AbortSignal): AsyncGenerator<WatchItem> {
      if (closing || !listening) {
        throw new DependencyUnavailable(
          "notification streams are closing; reconnect to another instance",
        );
      }
      const subscriber = subscribe(userId);
      try {
        yield { kind: "heartbeat", sentAt: new Date() };
        while (!subscriber.ended && !signal.aborted) {
          const next = subscriber.queue.shift();
          if (next) {
            yield { kind: "notification", notification: next };
            continue;
          }
          const woken = await waitForWake(subscriber, heartbeatMs, signal);
          if (woken === "idle") yield { kind: "heartbeat", sentAt: new Date() };
        }
      } finally {
        unsubscribe(subscriber);
      }
    },

    /** Open streams of this instance. */
    openStreams(): number {
      return [...byUser.values()].reduce((sum, set) => sum + set.size, 0);
    },

    /** Ends every open stream cleanly (their callers see the stream finish) and stops listening. */
    async close(): Promise<void> {
      closing = true;
      clearInterval(checkTimer);
      for (const set of byUser.values()) {
        for (const subscriber of set) {
          subscriber.ended = true;
          subscriber.wake?.();
        }
      }
      await listening?.unlisten().catch(() => {});
    },
  };
}

export type NotificationHub = ReturnType<typeof createNotificationHub>;

/** Waits until something is queued or the stream ends ("woken"), or `idleMs` pass ("idle"). */
function waitForWake(
  subscriber: Subscriber,
  idleMs: number,
  signal: AbortSignal,
): Promise<"woken" | "idle"> {
  return new Promise((resolve) => {
    const done = (how: "woken" | "idle") => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      subscriber.wake = undefined;
      resolve(how);
    };
    const onAbort = () => done("woken");
    const timer = setTimeout(() => done("idle"), idleMs);
    signal.addEventListener("abort", onAbort, { once: true });
    subscriber.wake = () => done("woken");
  });
}

const gauges = new WeakMap<Metrics, Gauge>();

/** `shop_notification_open_streams`, once per registry. */
function openStreamsGauge(metrics: Metrics): Gauge {
  const existing = gauges.get(metrics);
  if (existing) return existing;
  const gauge = new Gauge({
    name: "shop_notification_open_streams",
    help: "WatchNotifications streams open on this instance.",
    registers: [metrics.registry],
  });
  gauges.set(metrics, gauge);
  return gauge;
}
