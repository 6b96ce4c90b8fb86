import { encodePageToken } from "../domain/page-token.js";
import { type EventListQuery, eventListFilters } from "../domain/queries.js";
import type { NotificationSql } from "./connection.js";

/** An event as the log holds it. */
export type StoredEvent = {
  readonly sequence: string;
  readonly id: string;
  readonly type: string;
  readonly source: string;
  readonly time: Date;
  readonly subject: string | undefined;
  readonly aggregateId: string;
  readonly topic: string;
  readonly payload: string;
  readonly recordedAt: Date;
};

export type EventPage = { events: StoredEvent[]; nextPageToken: string };

type EventRow = {
  sequence: string;
  event_id: string;
  type: string;
  source: string;
  time: Date;
  subject: string | null;
  aggregate_id: string;
  topic: string;
  payload: string;
  recorded_at: Date;
};

/** Reads of the event store (writes are `NotificationStore.recordEvent`). */
export function createEventLog(sql: NotificationSql) {
  return {
    /** One page of stored events in append order, filtered by aggregate, type and time. */
    async list(query: EventListQuery): Promise<EventPage> {
      const { aggregateId, type, from, to } = query.filters;
      const rows = await sql<EventRow[]>`
        SELECT sequence::text AS sequence, event_id, type, source, time, subject, aggregate_id,
          topic, payload, recorded_at
        FROM event_log
        WHERE TRUE
          ${aggregateId === undefined ? sql`` : sql`AND aggregate_id = ${aggregateId}`}
          ${type === undefined ? sql`` : sql`AND type = ${type}`}
          ${from === undefined ? sql`` : sql`AND time >= ${from}`}
          ${to === undefined ? sql`` : sql`AND time < ${to}`}
          ${query.after === undefined ? sql`` : sql`AND sequence > ${String(query.after)}::bigint`}
        ORDER BY event_log.sequence
        LIMIT ${query.pageSize + 1}`;
      const page = rows.slice(0, query.pageSize).map(toStoredEvent);
      const last = page.at(-1);
      const more = rows.length > query.pageSize && last !== undefined;
      const filters = eventListFilters(query.filters);
      return {
        events: page,
        nextPageToken: more ? encodePageToken(BigInt(last.sequence), filters) : "",
      };
    },
  };
}

export type EventLog = ReturnType<typeof createEventLog>;

function toStoredEvent(row: EventRow): StoredEvent {
  return {
    sequence: row.sequence,
    id: row.event_id,
    type: row.type,
    source: row.source,
    time: row.time,
    subject: row.subject ?? undefined,
    aggregateId: row.aggregate_id,
    topic: row.topic,
    payload: row.payload,
    recordedAt: row.recorded_at,
  };
}
