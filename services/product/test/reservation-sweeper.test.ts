import { pino } from "pino";
import { describe, expect, it, vi } from "vitest";
import { startReservationSweeper } from "../src/reservation-sweeper.js";
import { newReservationId, useStockFixture } from "./support/stock-fixtures.js";

const logger = pino({ level: "silent" });

/** A stand-in for `releaseExpired` whose answers the test hands out one by one. */
function scriptedStock() {
  const calls: { before: Date; answer: PromiseWithResolvers<number> }[] = [];
  return {
    calls,
    stock: {
      releaseExpired: (before: Date) => {
        const answer = Promise.withResolvers<number>();
        calls.push({ before, answer });
        return answer.promise;
      },
    },
  };
}

describe("the reservation sweeper", () => {
  it("sweeps up to now minus the grace, batch after batch until one comes back short", async () => {
    const { calls, stock } = scriptedStock();
    const now = new Date("2030-01-01T00:10:00Z");
    const sweeper = startReservationSweeper({
      stock,
      logger,
      intervalMs: 3_600_000,
      graceMs: 60_000,
      now: () => now,
    });
    const sweep = sweeper.run();
    expect(sweeper.run()).toBe(sweep);
    calls[0]?.answer.resolve(200);
    await vi.waitFor(() => expect(calls.length).toBe(2));
    calls[1]?.answer.resolve(7);
    expect(await sweep).toBe(207);
    expect(calls.map((call) => call.before.toISOString())).toEqual([
      "2030-01-01T00:09:00.000Z",
      "2030-01-01T00:09:00.000Z",
    ]);
    await sweeper.stop();
  });
});

describe("the reservation sweeper on the real database", () => {
  const f = useStockFixture();

  it("releases a reservation left past its expiry and the grace, and its stock returns", async () => {
    const product = await f.newProduct(4);
    const id = newReservationId();
    // A clock in 1990 keeps this sweep away from every other test's reservations.
    await f.stock.reserve(
      id,
      [{ productId: product, quantity: 3 }],
      new Date("1989-12-31T23:58:00Z"),
    );
    const sweeper = startReservationSweeper({
      stock: f.stock,
      logger,
      intervalMs: 20,
      graceMs: 60_000,
      now: () => new Date("1990-01-01T00:00:00Z"),
    });
    try {
      await vi.waitFor(async () => expect((await f.stock.get(id)).status).toBe("released"), {
        timeout: 20_000,
      });
      expect(await f.stockOf(product)).toBe(4);
    } finally {
      await sweeper.stop();
    }
  });
});
