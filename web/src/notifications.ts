import { type Notification, NotificationKind } from "#gen/shop/notification/v1/notification_pb";
import type { Api } from "./api.js";
import { byId, h, setStatus } from "./dom.js";
import { describeError, isAbort } from "./errors.js";

export interface NotificationDeps {
  readonly api: () => Api;
  readonly user: () => string | undefined;
  /** A notification arrived on the live stream (not one of the earlier ones listed). */
  readonly arrived: (notification: Notification) => void;
}

const RETRY_MS = [1000, 2000, 5000, 10_000];
const kindClass: Record<NotificationKind, string> = {
  [NotificationKind.UNSPECIFIED]: "",
  [NotificationKind.PAYMENT_COMPLETED]: "ok",
  [NotificationKind.PAYMENT_FAILED]: "declined",
  [NotificationKind.PAYMENT_REFUNDED]: "refunded",
};

/**
 * The shopper's notifications: the latest ones from ListNotifications, then new ones as they
 * happen through the server-streaming WatchNotifications over the chosen transport. The stream's
 * heartbeats mark it live; when it breaks it is reopened after a growing pause.
 */
export function createNotificationsView(deps: NotificationDeps) {
  const list = byId<HTMLOListElement>("notification-list");
  const status = byId("notifications-status");
  const live = byId("live");
  const seen = new Set<string>();
  let stream: AbortController | undefined;

  function show(notification: Notification, where: "top" | "bottom") {
    if (seen.has(notification.id)) return;
    seen.add(notification.id);
    const when = notification.createdAt
      ? new Date(Number(notification.createdAt.seconds) * 1000).toLocaleTimeString()
      : "";
    const item = h(
      "li",
      { class: `note ${kindClass[notification.kind]}`, "data-payment-id": notification.paymentId },
      h("span", {}, notification.message),
      h("time", {}, when),
    );
    if (where === "top") list.prepend(item);
    else list.append(item);
    setStatus(status, "");
  }

  function setLive(text: string, on: boolean) {
    live.textContent = text;
    live.classList.toggle("on", on);
  }

  async function follow(userId: string, signal: AbortSignal) {
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        const api = deps.api();
        setLive("connecting…", false);
        for await (const message of api.notifications.watchNotifications({ userId }, { signal })) {
          attempt = 0;
          setLive(`live · ${api.kind === "connect" ? "Connect" : "gRPC-Web"}`, true);
          if (message.event.case === "notification") {
            const notification = message.event.value;
            const fresh = !seen.has(notification.id);
            show(notification, "top");
            if (fresh) deps.arrived(notification);
          }
        }
      } catch (error) {
        if (signal.aborted || isAbort(error)) return;
        setStatus(status, `Live updates interrupted: ${describeError(error)}`, "error");
      }
      const pause = RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)] ?? 10_000;
      setLive(`reconnecting in ${pause / 1000} s`, false);
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  /** Stops the stream and, when someone is signed in, lists and follows their notifications. */
  async function restart() {
    stream?.abort();
    stream = undefined;
    list.replaceChildren();
    seen.clear();
    setLive("", false);
    const userId = deps.user();
    if (!userId) return setStatus(status, "Sign in to see your notifications.");
    const controller = new AbortController();
    stream = controller;
    setStatus(status, "Loading notifications…");
    // Follow first, then list: one arriving in between shows once (by id), not never.
    void follow(userId, controller.signal);
    try {
      const { notifications } = await deps
        .api()
        .notifications.listNotifications({ userId, pageSize: 10 }, { signal: controller.signal });
      for (const notification of notifications) show(notification, "bottom");
      if (seen.size === 0) setStatus(status, "No notifications yet.");
    } catch (error) {
      if (isAbort(error)) return;
      setStatus(status, `Could not load notifications: ${describeError(error)}`, "error");
    }
  }

  return { restart };
}
