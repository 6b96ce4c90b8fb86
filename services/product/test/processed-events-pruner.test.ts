import { randomUUID } from "node:crypto";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { startProcessedEventsPruner } from "../src/processed-events-pruner.js";
import { inAnHour, newReservationId, useStockFixture } from "./support/stock-fixtures.js";

const logger = pino({ level: "silent" });
const DAY = 86_400_000;

// Ids processed in 1990 belong to this file: no prune here reaches another test's ids (processed now).
describe("pruning the ids of processed stock events", () => {
  const f = useStockFixture();

  /** Ids processed on those days of January 1990, after clearing what an earlier run left. */
  async function processedIn1990(...days: string[]): Promise<string[]> {
    await f.sql`DELETE FROM processed_events WHERE processed_at < '1991-01-01'`;
    const ids = days.map(() => randomUUID());
    for (const [index, day] of days.entries()) {
      await f.sql`INSERT INTO processed_events (event_id, processed_at)
        VALUES (${ids[index] ?? ""}, ${`1990-01-${day}T12:00:00Z`})`;
    }
    return ids;
  }

  async function kept(ids: string[]): Promise<string[]> {
    const rows = await f.sql<{ event_id: string }[]>`
      SELECT event_id FROM processed_events WHERE event_id IN ${f.sql(ids)}`;
    return rows.map((row) => row.event_id).sort();
  }

  it("forgets the ids processed more than the retention ago, oldest first, and keeps the rest", async () => {
    const [first, second, recent] = await processedIn1990("01", "02", "09");
    const before = new Date("1990-01-08T00:00:00Z");
    expect(await f.stock.forgetProcessedEvents(before, 1)).toBe(1);
    expect(await kept([first ?? "", second ?? "", recent ?? ""])).toEqual(
      [second ?? "", recent ?? ""].sort(),
    );

    const pruner = startProcessedEventsPruner({
      stock: f.stock,
      logger,
      intervalMs: 3_600_000,
      retentionMs: 7 * DAY,
      now: () => new Date("1990-01-15T00:00:00Z"),
    });
    try {
      expect(await pruner.run()).toBe(1);
    } finally {
      await pruner.stop();
    }
    expect(await kept([first ?? "", second ?? "", recent ?? ""])).toEqual([recent ?? ""]);
  });

  it("lets a forgotten event that arrives again change nothing: its line has moved on", async () => {
    const productId = await f.newProduct(10);
    const paymentId = newReservationId();
    await f.stock.reserve(paymentId, [{ productId, quantity: 3 }], inAnHour());
    const sold = {
      eventId: randomUUID(),
      productId,
      paymentId,
      quantity: 3,
      reason: "sold" as const,
    };
    expect(await f.stock.applyStockUpdated(sold)).toEqual({
      result: "applied",
      from: "reserved",
      to: "committed",
    });
    const released = { ...sold, eventId: randomUUID(), reason: "released" as const };
    expect((await f.stock.applyStockUpdated(released)).result).toBe("refused");
    await f.sql`UPDATE processed_events SET processed_at = '1990-01-01T00:00:00Z'
      WHERE event_id IN (${sold.eventId}, ${released.eventId})`;
    await f.stock.forgetProcessedEvents(new Date("1990-01-02T00:00:00Z"), 1000);
    expect(await kept([sold.eventId, released.eventId])).toEqual([]);

    expect(await f.stock.applyStockUpdated(sold)).toEqual({
      result: "unchanged",
      status: "committed",
    });
    expect((await f.stock.applyStockUpdated(released)).result).toBe("refused");
    expect(await f.stockOf(productId)).toBe(7);
    expect((await f.stock.get(paymentId)).status).toBe("committed");
  });
});
