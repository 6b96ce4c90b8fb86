import type { ServiceImpl } from "@connectrpc/connect";
import type { EventStoreService } from "#gen/shop/notification/v1/event_store_pb";
import type { EventLog } from "../db/event-log.js";
import { parseEventListQuery } from "../domain/queries.js";
import { toDate, toStoredEventMessage } from "./convert.js";

/** The EventStoreService RPCs: reads of the append-only event log. */
export function createEventStoreService(
  events: Pick<EventLog, "list">,
): ServiceImpl<typeof EventStoreService> {
  return {
    async listEvents(req) {
      const query = parseEventListQuery({
        pageSize: req.pageSize,
        pageToken: req.pageToken,
        filters: {
          aggregateId: req.aggregateId || undefined,
          type: req.type || undefined,
          from: toDate(req.startTime),
          to: toDate(req.endTime),
        },
      });
      const page = await events.list(query);
      return { events: page.events.map(toStoredEventMessage), nextPageToken: page.nextPageToken };
    },
  };
}
