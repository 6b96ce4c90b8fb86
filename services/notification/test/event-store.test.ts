import { randomUUID } from "node:crypto";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { describe, expect, it } from "vitest";
import { EventStoreService } from "#gen/shop/notification/v1/event_store_pb";
import type { CloudEvent } from "#shared/kafka/cloudevents";
import { testCaller } from "./support/caller.js";
import { openTestDatabase, serveTestApp } from "./support/database.js";

const service = serveTestApp(openTestDatabase);

/** An event of `aggregateId` that happened at `time`. */
function event(aggregateId: string, time: Date, type = "shop.events.v1.StockUpdated"): CloudEvent {
  const id = randomUUID();
  return {
    id,
    type,
    source: "/test",
    time: time.toISOString(),
    key: aggregateId,
    payload: `{"n":"${id}"}`,
  };
}

const record = (e: CloudEvent, offset = 0) =>
  service.app.store.recordEvent(
    e,
    { topic: "stock-events", partition: 1, offset: String(offset) },
    undefined,
  );

describe("the event store", () => {
  it("pages through one aggregate's events in append order, each once, by type and time range", async () => {
    const aggregate = `agg-${randomUUID()}`;
    const start = Date.parse("2026-01-01T00:00:00Z");
    const events = Array.from({ length: 12 }, (_, i) =>
      event(
        aggregate,
        new Date(start + i * 60_000),
        i % 3 === 0 ? "shop.events.v1.BasketCleared" : undefined,
      ),
    );
    for (const [i, e] of events.entries()) await record(e, i);
    for (const e of events.slice(0, 4)) await record(e, 99); // redelivered: stored once
    const client = createClient(
      EventStoreService,
      createGrpcTransport({ baseUrl: service.server.baseUrl, interceptors: [testCaller] }),
    );

    const ids: string[] = [];
    let pageToken = "";
    do {
      const page = await client.listEvents({ aggregateId: aggregate, pageSize: 5, pageToken });
      ids.push(...page.events.map((e) => e.id));
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    expect(ids).toEqual(events.map((e) => e.id));

    const cleared = await client.listEvents({
      aggregateId: aggregate,
      type: "shop.events.v1.BasketCleared",
    });
    expect(cleared.events.map((e) => e.id)).toEqual([0, 3, 6, 9].map((i) => events[i]?.id));
    const window = await client.listEvents({
      aggregateId: aggregate,
      startTime: timestampFromDate(new Date(start + 2 * 60_000)),
      endTime: timestampFromDate(new Date(start + 5 * 60_000)),
    });
    expect(window.events.map((e) => e.id)).toEqual([2, 3, 4].map((i) => events[i]?.id));
    expect(window.events[0]).toMatchObject({
      source: "/test",
      subject: "",
      payload: events[2]?.payload,
    });
  });

  it("is append-only: the database refuses to change or delete a stored event", async () => {
    const e = event(`agg-${randomUUID()}`, new Date());
    await record(e);
    await expect(
      service.sql`UPDATE event_log SET type = 'x' WHERE event_id = ${e.id}`,
    ).rejects.toThrow(/append-only/);
    await expect(service.sql`DELETE FROM event_log WHERE event_id = ${e.id}`).rejects.toThrow(
      /append-only/,
    );
    const [row] = await service.sql<
      { type: string }[]
    >`SELECT type FROM event_log WHERE event_id = ${e.id}`;
    expect(row?.type).toBe(e.type);
  });
});
