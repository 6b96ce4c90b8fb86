import { InvalidArgument } from "#shared/errors";
import { decodePageToken, parsePageSize } from "./page-token.js";

/** The longest user id accepted, as payments accept them. */
const MAX_USER_ID = 128;

/** A validated ListNotifications request; `before` (an id) is absent on the first page. */
export type NotificationListQuery = {
  readonly userId: string;
  readonly unreadOnly: boolean;
  readonly pageSize: number;
  readonly before?: bigint | undefined;
};

/** A validated ListEvents request; `after` (a sequence) is absent on the first page. */
export type EventListQuery = {
  readonly filters: EventFilters;
  readonly pageSize: number;
  readonly after?: bigint | undefined;
};

/** Which stored events a list shows; absent means any. */
export type EventFilters = {
  readonly aggregateId?: string | undefined;
  readonly type?: string | undefined;
  /** Inclusive. */
  readonly from?: Date | undefined;
  /** Exclusive. */
  readonly to?: Date | undefined;
};

/** user_id: required, at most 128 characters. */
export function parseUserId(userId: string): string {
  if (userId === "") throw new InvalidArgument("user_id", "is required");
  if (userId.length > MAX_USER_ID) {
    throw new InvalidArgument("user_id", `must be at most ${MAX_USER_ID} characters`);
  }
  return userId;
}

/** A notification id: a positive decimal integer; InvalidArgument otherwise. */
export function parseNotificationId(id: string): bigint {
  if (!/^[1-9]\d{0,18}$/.test(id) || BigInt(id) > 9223372036854775807n) {
    throw new InvalidArgument(
      "id",
      `must be a notification id (a positive integer), got "${id.slice(0, 40)}"`,
    );
  }
  return BigInt(id);
}

export function parseNotificationListQuery(input: {
  userId: string;
  unreadOnly: boolean;
  pageSize: number;
  pageToken: string;
}): NotificationListQuery {
  const userId = parseUserId(input.userId);
  const pageSize = parsePageSize(input.pageSize);
  const first = { userId, unreadOnly: input.unreadOnly, pageSize };
  return { ...first, before: decodePageToken(input.pageToken, notificationListFilters(first)) };
}

/** The filters a next_page_token of a notification list is bound to. */
export function notificationListFilters(
  query: Pick<NotificationListQuery, "userId" | "unreadOnly">,
): unknown {
  return ["notifications", query.userId, query.unreadOnly];
}

export function parseEventListQuery(input: {
  filters: EventFilters;
  pageSize: number;
  pageToken: string;
}): EventListQuery {
  const { filters } = input;
  if (filters.from && filters.to && filters.from >= filters.to) {
    throw new InvalidArgument("end_time", "must be after start_time");
  }
  const pageSize = parsePageSize(input.pageSize);
  const after = decodePageToken(input.pageToken, eventListFilters(filters));
  return { filters, pageSize, after };
}

/** The filters a next_page_token of an event list is bound to. */
export function eventListFilters(filters: EventFilters): unknown {
  return [
    "events",
    filters.aggregateId ?? null,
    filters.type ?? null,
    filters.from ?? null,
    filters.to ?? null,
  ];
}
