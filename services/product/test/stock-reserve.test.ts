import { describe, expect, it } from "vitest";
import { FailedPrecondition, InvalidArgument, NotFound } from "#shared/errors";
import {
  concurrently,
  inAnHour,
  namedPool,
  newReservationId,
  useStockFixture,
  whileLocked,
} from "./support/stock-fixtures.js";

const f = useStockFixture();

describe("reserving stock", () => {
  it("takes every line out of stock and records the reservation", async () => {
    const [a, b] = [await f.newProduct(5), await f.newProduct(3)];
    const id = newReservationId();
    const reservation = await f.stock.reserve(
      id,
      [
        { productId: b, quantity: 3 },
        { productId: a, quantity: 2 },
      ],
      inAnHour(),
    );
    expect(reservation).toMatchObject({ reservationId: id, status: "reserved" });
    expect(reservation.lines).toEqual([
      { productId: a, quantity: 2, status: "reserved" },
      { productId: b, quantity: 3, status: "reserved" },
    ]);
    expect([await f.stockOf(a), await f.stockOf(b)]).toEqual([3, 0]);
    expect(await f.stock.get(id)).toEqual(reservation);
  });

  it("reserves no line when one line is short (all or nothing)", async () => {
    const [a, b] = [await f.newProduct(5), await f.newProduct(2)];
    const id = newReservationId();
    const refused = f.stock.reserve(
      id,
      [
        { productId: a, quantity: 1 },
        { productId: b, quantity: 3 },
      ],
      inAnHour(),
    );
    await expect(refused).rejects.toThrow(FailedPrecondition);
    await expect(refused).rejects.toThrow(`only 2 of product ${b} in stock, 3 requested`);
    expect([await f.stockOf(a), await f.stockOf(b)]).toEqual([5, 2]);
    await expect(f.stock.get(id)).rejects.toThrow(NotFound);
  });

  it("answers NotFound for an unknown product and reserves nothing", async () => {
    const a = await f.newProduct(5);
    const id = newReservationId();
    const refused = f.stock.reserve(
      id,
      [
        { productId: a, quantity: 1 },
        { productId: 9_000_000_000_000n, quantity: 1 },
      ],
      inAnHour(),
    );
    await expect(refused).rejects.toThrow(new NotFound("product", 9_000_000_000_000n));
    expect(await f.stockOf(a)).toBe(5);
  });

  it.each([
    ["duplicate products", [1n, 1n], [1, 1], "lines"],
    ["no lines", [], [], "lines"],
    ["a zero quantity", [1n], [0], "lines[0].quantity"],
    ["a fractional quantity", [1n], [1.5], "lines[0].quantity"],
    ["a non-positive product id", [0n], [1], "lines[0].product_id"],
  ])("refuses %s with InvalidArgument and changes nothing", async (_, ids, quantities, field) => {
    const product = await f.newProduct(5);
    const lines = ids.map((_, index) => ({
      productId: ids[index] === 0n ? 0n : product,
      quantity: quantities[index] ?? 1,
    }));
    const id = newReservationId();
    const refused = f.stock.reserve(id, lines, inAnHour());
    await expect(refused).rejects.toThrow(InvalidArgument);
    await expect(refused).rejects.toMatchObject({ field });
    expect(await f.stockOf(product)).toBe(5);
    await expect(f.stock.get(id)).rejects.toThrow(NotFound);
  });

  it.each(["", "x".repeat(65), "bad\nid"])("refuses reservation id %j", async (id) => {
    const product = await f.newProduct(1);
    const refused = f.stock.reserve(id, [{ productId: product, quantity: 1 }], inAnHour());
    await expect(refused).rejects.toMatchObject({ field: "reservation_id" });
    expect(await f.stockOf(product)).toBe(1);
  });
});

describe("a repeated reservation id", () => {
  it("with the same lines returns the reservation and takes stock once", async () => {
    const product = await f.newProduct(5);
    const id = newReservationId();
    const lines = [{ productId: product, quantity: 2 }];
    const first = await f.stock.reserve(id, lines, inAnHour());
    expect(await f.stock.reserve(id, lines, inAnHour())).toEqual(first);
    expect(await f.stockOf(product)).toBe(3);
  });

  it("racing itself takes stock once, the copies meeting at the product's row lock", async () => {
    const product = await f.newProduct(5);
    const id = newReservationId();
    const lines = [{ productId: product, quantity: 2 }];
    const racers = namedPool(10);
    try {
      const results = await whileLocked(f.sql, product, racers.applicationName, 10, () =>
        concurrently(10, () => racers.stock.reserve(id, lines, inAnHour())),
      );
      expect(results.filter((result) => result.status === "rejected")).toEqual([]);
      expect(await f.stockOf(product)).toBe(3);
    } finally {
      await racers.pool.end();
    }
  });

  it("with other lines is FailedPrecondition and changes nothing", async () => {
    const [a, b] = [await f.newProduct(5), await f.newProduct(5)];
    const id = newReservationId();
    await f.stock.reserve(id, [{ productId: a, quantity: 2 }], inAnHour());
    for (const lines of [
      [{ productId: a, quantity: 3 }],
      [{ productId: b, quantity: 2 }],
      [
        { productId: a, quantity: 2 },
        { productId: b, quantity: 1 },
      ],
    ]) {
      const refused = f.stock.reserve(id, lines, inAnHour());
      await expect(refused).rejects.toThrow(`reservation ${id} exists with other lines`);
    }
    expect([await f.stockOf(a), await f.stockOf(b)]).toEqual([3, 5]);
  });

  it("after a release is FailedPrecondition: the stock is no longer held", async () => {
    const product = await f.newProduct(5);
    const id = newReservationId();
    const lines = [{ productId: product, quantity: 2 }];
    await f.stock.reserve(id, lines, inAnHour());
    await f.stock.release(id);
    await expect(f.stock.reserve(id, lines, inAnHour())).rejects.toThrow(
      `reservation ${id} is released and holds no stock`,
    );
    expect(await f.stockOf(product)).toBe(5);
  });
});

describe("concurrent reservations", () => {
  it("never oversell: 40 buyers of 1–2 units on a stock of 10 get exactly 10", async () => {
    const product = await f.newProduct(10);
    const racers = namedPool(10);
    try {
      const results = await whileLocked(f.sql, product, racers.applicationName, 10, () =>
        concurrently(40, (index) =>
          racers.stock.reserve(
            newReservationId(),
            [{ productId: product, quantity: 1 + (index % 2) }],
            inAnHour(),
          ),
        ),
      );
      const reserved = results
        .filter((result) => result.status === "fulfilled")
        .reduce((units, result) => units + (result.value.lines[0]?.quantity ?? 0), 0);
      const refusals = results.filter((result) => result.status === "rejected");
      expect(refusals.every((result) => result.reason instanceof FailedPrecondition)).toBe(true);
      // Stock cannot end at 1: every buyer of 1 unit would then have been served, 20 units.
      expect(reserved).toBe(10);
      expect(await f.stockOf(product)).toBe(0);
    } finally {
      await racers.pool.end();
    }
  });

  it("over two products in opposite order never deadlock", async () => {
    const [a, b] = [await f.newProduct(40), await f.newProduct(40)];
    const results = await concurrently(40, (index) => {
      const lines = [
        { productId: a, quantity: 1 },
        { productId: b, quantity: 1 },
      ];
      return f.stock.reserve(newReservationId(), index % 2 ? lines : lines.reverse(), inAnHour());
    });
    expect(results.filter((result) => result.status === "rejected")).toEqual([]);
    expect([await f.stockOf(a), await f.stockOf(b)]).toEqual([0, 0]);
  });
});
