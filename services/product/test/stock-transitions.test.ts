import { describe, expect, it } from "vitest";
import { FailedPrecondition, NotFound } from "#shared/errors";
import type { StockMove } from "../src/domain/stock.js";
import {
  concurrently,
  inAnHour,
  newReservationId,
  useStockFixture,
} from "./support/stock-fixtures.js";

const f = useStockFixture();

/** Two products of stock 10, a reservation of 2 + 3 on them, moved along `path`. */
async function reservationAfter(path: StockMove[]) {
  const [a, b] = [await f.newProduct(10), await f.newProduct(10)];
  const id = newReservationId();
  const lines = [
    { productId: a, quantity: 2 },
    { productId: b, quantity: 3 },
  ];
  await f.stock.reserve(id, lines, inAnHour());
  for (const move of path) await f.stock[move](id);
  return { id, stock: async () => [await f.stockOf(a), await f.stockOf(b)] };
}

describe("moving a reservation", () => {
  it.each([
    // path so far, move, resulting status, stock of both products afterwards
    [[], "commit", "committed", [8, 7]],
    [[], "release", "released", [10, 10]],
    [["commit"], "restock", "restocked", [10, 10]],
    [["commit"], "commit", "committed", [8, 7]],
    [["release"], "release", "released", [10, 10]],
    [["commit", "restock"], "restock", "restocked", [10, 10]],
    [["commit", "restock"], "commit", "restocked", [10, 10]],
  ] as const)("after %j, %s leaves it %s with stock %j", async (path, move, status, stock) => {
    const reservation = await reservationAfter([...path]);
    const moved = await f.stock[move](reservation.id);
    expect(moved.status).toBe(status);
    expect(moved.lines.map((line) => line.status)).toEqual([status, status]);
    expect(await reservation.stock()).toEqual(stock);
  });

  it.each([
    [[], "restock", "reserved", "restocked", [8, 7]],
    [["release"], "commit", "released", "committed", [10, 10]],
    [["release"], "restock", "released", "restocked", [10, 10]],
    [["commit"], "release", "committed", "released", [8, 7]],
    [["commit", "restock"], "release", "restocked", "released", [10, 10]],
  ] as const)(
    "after %j, %s is refused (%s → %s) and changes nothing",
    async (path, move, from, to, stock) => {
      const reservation = await reservationAfter([...path]);
      const refused = f.stock[move](reservation.id);
      await expect(refused).rejects.toThrow(FailedPrecondition);
      await expect(refused).rejects.toThrow(
        `reservation ${reservation.id} is ${from} and cannot become ${to}`,
      );
      expect(await reservation.stock()).toEqual(stock);
    },
  );

  it("answers NotFound for an unknown reservation", async () => {
    const id = newReservationId();
    for (const move of ["commit", "release", "restock"] as const) {
      await expect(f.stock[move](id)).rejects.toThrow(new NotFound("reservation", id));
    }
  });

  it("lets exactly one of a racing commit and release win", async () => {
    const reservation = await reservationAfter([]);
    const results = await concurrently(20, (index) =>
      index % 2 ? f.stock.commit(reservation.id) : f.stock.release(reservation.id),
    );
    const { status } = await f.stock.get(reservation.id);
    const winners = results.filter((result) => result.status === "fulfilled");
    expect(winners.length).toBe(10);
    expect(await reservation.stock()).toEqual(status === "committed" ? [8, 7] : [10, 10]);
  });

  it("gives released units back exactly once under racing releases", async () => {
    const reservation = await reservationAfter([]);
    await concurrently(10, () => f.stock.release(reservation.id));
    expect(await reservation.stock()).toEqual([10, 10]);
  });
});

describe("releasing expired reservations", () => {
  /** A reservation whose expiry is long past (the repository, unlike the RPC, allows it). */
  async function expired(quantity: number, product: bigint, at: Date) {
    const id = newReservationId();
    await f.stock.reserve(id, [{ productId: product, quantity }], at);
    return id;
  }

  it("releases reserved lines past their expiry and leaves the others", async () => {
    const product = await f.newProduct(10);
    const longAgo = new Date("2001-01-01T00:00:00Z");
    const old = await expired(2, product, longAgo);
    const sold = await expired(3, product, longAgo);
    await f.stock.commit(sold);
    const current = await f.stock.reserve(
      newReservationId(),
      [{ productId: product, quantity: 1 }],
      inAnHour(),
    );
    expect(await f.stockOf(product)).toBe(4);

    await f.stock.releaseExpired(new Date("2001-01-01T00:00:01Z"), 100);

    expect((await f.stock.get(old)).status).toBe("released");
    expect((await f.stock.get(sold)).status).toBe("committed");
    expect((await f.stock.get(current.reservationId)).status).toBe("reserved");
    expect(await f.stockOf(product)).toBe(6);
  });

  it("shares the work among concurrent sweepers and releases each line once", async () => {
    const product = await f.newProduct(30);
    const at = new Date("2002-02-02T00:00:00Z");
    const ids = await Promise.all(Array.from({ length: 30 }, () => expired(1, product, at)));
    expect(await f.stockOf(product)).toBe(0);

    const cutoff = new Date("2002-02-02T00:00:01Z");
    const sweeps = await concurrently(6, () => f.stock.releaseExpired(cutoff, 5));
    expect(sweeps.every((sweep) => sweep.status === "fulfilled")).toBe(true);
    // Anything a small batch left behind goes on the next sweep.
    while ((await f.stock.releaseExpired(cutoff, 5)) > 0);

    const statuses = await Promise.all(ids.map(async (id) => (await f.stock.get(id)).status));
    expect(new Set(statuses)).toEqual(new Set(["released"]));
    expect(await f.stockOf(product)).toBe(30);
  });
});

describe("deleting a product", () => {
  it("is refused while stock of it is reserved and allowed once the reservation ends", async () => {
    const product = await f.newProduct(5);
    const id = newReservationId();
    await f.stock.reserve(id, [{ productId: product, quantity: 2 }], inAnHour());
    await expect(f.catalogue.delete(product)).rejects.toThrow(
      `product ${product} has 2 reserved for unfinished payments`,
    );
    expect(await f.stockOf(product)).toBe(3);

    await f.stock.commit(id);
    await f.catalogue.delete(product);
    await expect(f.catalogue.get(product)).rejects.toThrow(NotFound);
    // The finished line stays as history, and a late refund finds no product to refill.
    expect((await f.stock.restock(id)).status).toBe("restocked");
  });

  it("makes a racing reservation of it NotFound, never a line for a missing product", async () => {
    const product = await f.newProduct(5);
    const id = newReservationId();
    const [deleted, reserved] = await Promise.allSettled([
      f.catalogue.delete(product),
      f.stock.reserve(id, [{ productId: product, quantity: 1 }], inAnHour()),
    ]);
    // Either order is fine; both at once is not.
    expect([deleted.status, reserved.status].sort()).toEqual(["fulfilled", "rejected"]);
    if (deleted.status === "fulfilled") {
      await expect(f.stock.get(id)).rejects.toThrow(NotFound);
    } else {
      expect(await f.stockOf(product)).toBe(4);
    }
  });
});
