import type { ServiceImpl } from "@connectrpc/connect";
import type { NotificationService } from "#gen/shop/notification/v1/notification_pb";
import type { Logger } from "#shared/logger";
import { toConnectError } from "#shared/rpc/errors";
import type { NotificationStore } from "../db/notification-store.js";
import { parseNotificationId, parseNotificationListQuery, parseUserId } from "../domain/queries.js";
import type { NotificationHub } from "../live/notification-hub.js";
import { toNotificationMessage, toWatchResponse } from "./convert.js";

export type NotificationServiceDeps = {
  readonly store: Pick<NotificationStore, "list" | "markRead">;
  readonly hub: Pick<NotificationHub, "watch">;
  readonly logger: Logger;
};

/** The NotificationService RPCs: parse, call the store or the hub, convert. */
export function createNotificationService(
  deps: NotificationServiceDeps,
): ServiceImpl<typeof NotificationService> {
  return {
    async listNotifications(req) {
      const query = parseNotificationListQuery(req);
      const page = await deps.store.list(query);
      return {
        notifications: page.notifications.map(toNotificationMessage),
        nextPageToken: page.nextPageToken,
      };
    },
    async markRead(req) {
      const userId = parseUserId(req.userId);
      const notification = await deps.store.markRead(userId, parseNotificationId(req.id));
      return { notification: toNotificationMessage(notification) };
    },
    async *watchNotifications(req, ctx) {
      // A stream's messages flow after the interceptors returned, so its errors are mapped here.
      try {
        const userId = parseUserId(req.userId);
        for await (const item of deps.hub.watch(userId, ctx.signal)) yield toWatchResponse(item);
      } catch (error) {
        throw toConnectError(
          error,
          deps.logger,
          ctx.requestHeader.get("x-request-id") ?? undefined,
        );
      }
    },
  };
}
