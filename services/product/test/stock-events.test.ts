import { randomUUID } from "node:crypto";
import { create, type MessageInitShape, toJsonString } from "@bufbuild/protobuf";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { StockChangeReason, StockUpdatedSchema } from "#gen/shop/events/v1/events_pb";
import type { StockChange } from "../src/db/stock-events.js";
import { createStockEventHandler, MalformedStockEvent } from "../src/events/stock-event-handler.js";
import {
  concurrently,
  inAnHour,
  newReservationId,
  useStockFixture,
} from "./support/stock-fixtures.js";

const f = useStockFixture();

/** A product of stock 10 with 3 reserved for a new payment; `event` builds its stock events. */
async function reservedLine() {
  const productId = await f.newProduct(10);
  const paymentId = newReservationId();
  await f.stock.reserve(paymentId, [{ productId, quantity: 3 }], inAnHour());
  return {
    paymentId,
    productId,
    event: (reason: StockChange, eventId = randomUUID(), quantity = 3) =>
      f.stock.applyStockUpdated({ eventId, productId, paymentId, quantity, reason }),
    status: async () => (await f.stock.get(paymentId)).status,
    stock: () => f.stockOf(productId),
  };
}

describe("applying several StockUpdated events in one statement", () => {
  it("applies them in order, each seeing the ones before it, with the outcomes one by one would have", async () => {
    const [a, b] = [await reservedLine(), await reservedLine()];
    const update = (line: typeof a, reason: StockChange, eventId = randomUUID()) => ({
      eventId,
      productId: line.productId,
      paymentId: line.paymentId,
      quantity: 3,
      reason,
    });
    const twice = randomUUID();
    const outcomes = await f.stock.applyStockUpdates([
      update(a, "sold"),
      update(a, "restocked", twice),
      update(a, "restocked", twice),
      update(b, "restocked"),
      update(b, "released"),
      update(b, "sold"),
    ]);

    expect(outcomes).toEqual([
      { result: "applied", from: "reserved", to: "committed" },
      { result: "applied", from: "committed", to: "restocked" },
      { result: "duplicate" },
      expect.objectContaining({ result: "refused", status: "reserved" }),
      { result: "applied", from: "reserved", to: "released" },
      expect.objectContaining({ result: "refused", status: "released" }),
    ]);
    expect([await a.status(), await a.stock()]).toEqual(["restocked", 10]);
    expect([await b.status(), await b.stock()]).toEqual(["released", 10]);
  });

  it("applies none of them when one cannot be applied at all", async () => {
    const line = await reservedLine();
    const sold = { productId: line.productId, paymentId: line.paymentId, quantity: 3 };
    const eventId = randomUUID();
    await expect(
      f.stock.applyStockUpdates([
        { ...sold, eventId, reason: "sold" },
        // No bigint column holds it: the statement fails, and with it the SOLD before.
        { ...sold, productId: 2n ** 64n, eventId: randomUUID(), reason: "released" },
      ]),
    ).rejects.toThrow();

    expect(await line.status()).toBe("reserved");
    expect(await line.stock()).toBe(7);
    const [seen] =
      await f.sql`SELECT count(*) AS n FROM processed_events WHERE event_id = ${eventId}`;
    expect(seen?.n).toBe(0n);
    expect(await f.stock.applyStockUpdates([])).toEqual([]);
  });
});

describe("applying StockUpdated", () => {
  it("SOLD commits the line, and a CommitStock before it leaves nothing to do", async () => {
    const line = await reservedLine();
    expect(await line.event("sold")).toEqual({
      result: "applied",
      from: "reserved",
      to: "committed",
    });
    expect(await line.status()).toBe("committed");
    expect(await line.stock()).toBe(7);

    const other = await reservedLine();
    await f.stock.commit(other.paymentId);
    expect(await other.event("sold")).toEqual({ result: "unchanged", status: "committed" });
    expect(await other.stock()).toBe(7);
  });

  it("SOLD after CommitStock writes nothing: no processed event, the line stays committed", async () => {
    const line = await reservedLine();
    await f.stock.commit(line.paymentId);
    const eventId = randomUUID();
    expect(await line.event("sold", eventId)).toEqual({ result: "unchanged", status: "committed" });
    expect(await line.event("sold", eventId)).toEqual({ result: "unchanged", status: "committed" });
    const [seen] =
      await f.sql`SELECT count(*) AS n FROM processed_events WHERE event_id = ${eventId}`;
    expect(seen?.n).toBe(0n);
    expect(await line.status()).toBe("committed");
    expect(await line.stock()).toBe(7);
    // An id recorded before still reads as seen, also on the read-only path.
    const released = await reservedLine();
    const releaseId = randomUUID();
    expect(await released.event("released", releaseId)).toMatchObject({ result: "applied" });
    expect(await released.event("released", releaseId)).toEqual({ result: "duplicate" });
    expect(await released.stock()).toBe(10);
  });

  it("RELEASED puts the units back once; after SOLD it is refused and the sale stands", async () => {
    const line = await reservedLine();
    expect(await line.event("released")).toMatchObject({ result: "applied", to: "released" });
    expect(await line.event("released")).toEqual({ result: "unchanged", status: "released" });
    expect(await line.stock()).toBe(10);

    const sold = await reservedLine();
    await sold.event("sold");
    expect(await sold.event("released")).toMatchObject({ result: "refused", status: "committed" });
    expect(await sold.status()).toBe("committed");
    expect(await sold.stock()).toBe(7);
  });

  it("RESTOCKED after a full commit restores the quantity; before it, it is refused", async () => {
    const line = await reservedLine();
    expect(await line.event("restocked")).toMatchObject({ result: "refused", status: "reserved" });
    await line.event("sold");
    expect(await line.event("restocked")).toEqual({
      result: "applied",
      from: "committed",
      to: "restocked",
    });
    expect(await line.stock()).toBe(10);
  });

  it("RESTOCKED events for each line of a committed reservation restock it line by line", async () => {
    const [a, b] = [await f.newProduct(10), await f.newProduct(10)];
    const paymentId = newReservationId();
    const [first, second] = [
      { productId: a, quantity: 2 },
      { productId: b, quantity: 5 },
    ];
    const lines = [first, second];
    await f.stock.reserve(paymentId, lines, inAnHour());
    await f.stock.commit(paymentId);
    const restock = (line: typeof first) =>
      f.stock.applyStockUpdated({ ...line, eventId: randomUUID(), paymentId, reason: "restocked" });

    expect(await restock(first)).toMatchObject({ result: "applied" });
    // Halfway, the reservation still counts as sold.
    expect((await f.stock.get(paymentId)).status).toBe("committed");
    expect(await restock(second)).toMatchObject({ result: "applied" });
    expect((await f.stock.get(paymentId)).status).toBe("restocked");
    expect([await f.stockOf(a), await f.stockOf(b)]).toEqual([10, 10]);
  });

  it("SOLD after the line was released is refused: the units may be sold to someone else", async () => {
    const line = await reservedLine();
    await f.stock.release(line.paymentId);
    expect(await line.event("sold")).toMatchObject({ result: "refused", status: "released" });
    expect(await line.stock()).toBe(10);
  });

  it("a quantity other than the line's is refused and changes nothing", async () => {
    const line = await reservedLine();
    expect(await line.event("sold", randomUUID(), 2)).toMatchObject({ result: "refused" });
    expect(await line.status()).toBe("reserved");
  });

  it("an unknown reservation line is recorded and reported, not retried", async () => {
    const line = await reservedLine();
    const eventId = randomUUID();
    const stray = { eventId, productId: line.productId, paymentId: "pay-nobody", quantity: 1 };
    expect(await f.stock.applyStockUpdated({ ...stray, reason: "sold" })).toEqual({
      result: "unknown",
    });
    expect(await f.stock.applyStockUpdated({ ...stray, reason: "sold" })).toEqual({
      result: "duplicate",
    });
  });

  it("the same event id twice has one effect", async () => {
    const line = await reservedLine();
    const eventId = randomUUID();
    await line.event("released", eventId);
    // Reserve again under another payment, then replay the old release: it must not refill.
    await f.stock.reserve(
      newReservationId(),
      [{ productId: line.productId, quantity: 4 }],
      inAnHour(),
    );
    expect(await line.event("released", eventId)).toEqual({ result: "duplicate" });
    expect(await line.stock()).toBe(6);
  });

  it("the same event id delivered 10 times at once has one effect", async () => {
    const line = await reservedLine();
    await line.event("sold");
    const eventId = randomUUID();
    const results = await concurrently(10, () => line.event("restocked", eventId));
    const outcomes = results.map((result) =>
      result.status === "fulfilled" ? result.value.result : "error",
    );
    expect(outcomes.sort()).toEqual(["applied", ...Array(9).fill("duplicate")]);
    expect(await line.stock()).toBe(10);
  });
});

describe("the stock-events handler", () => {
  const handle = () =>
    createStockEventHandler({ stock: f.stock, logger: pino({ level: "silent" }) });
  const payload = (fields: MessageInitShape<typeof StockUpdatedSchema>) =>
    toJsonString(StockUpdatedSchema, create(StockUpdatedSchema, fields));
  const type = StockUpdatedSchema.typeName;
  const lineOf = ({ productId, paymentId }: { productId: bigint; paymentId: string }) => ({
    productId,
    paymentId,
  });

  it("parses the CloudEvent's JSON payload and applies it once per event id", async () => {
    const line = await reservedLine();
    const event = {
      id: randomUUID(),
      type,
      payload: payload({ ...lineOf(line), quantity: 3, reason: StockChangeReason.RELEASED }),
    };
    expect(await handle()(event)).toMatchObject({ result: "applied", to: "released" });
    expect(await handle()(event)).toEqual({ result: "duplicate" });
    expect(await line.stock()).toBe(10);
  });

  it.each([
    ["a payload that is not JSON", type, "{"],
    ["an unknown type", "shop.events.v1.PaymentCompleted", "{}"],
    ["an unspecified reason", type, payload({ productId: 1n, paymentId: "p", quantity: 1 })],
    [
      "no payment id",
      type,
      payload({ productId: 1n, quantity: 1, reason: StockChangeReason.SOLD }),
    ],
    [
      "a zero quantity",
      type,
      payload({ productId: 1n, paymentId: "p", reason: StockChangeReason.SOLD }),
    ],
    ["a wrongly typed field", type, '{"productId":"1","paymentId":"p","quantity":"many"}'],
  ])("throws MalformedStockEvent for %s, recording nothing", async (_, eventType, body) => {
    const event = { id: randomUUID(), type: eventType, payload: body };
    await expect(handle()(event)).rejects.toThrow(MalformedStockEvent);
    const [seen] =
      await f.sql`SELECT count(*) AS n FROM processed_events WHERE event_id = ${event.id}`;
    expect(seen?.n).toBe(0n);
  });

  it("ignores payload fields it does not know yet", async () => {
    const line = await reservedLine();
    const known = JSON.parse(
      payload({ ...lineOf(line), quantity: 3, reason: StockChangeReason.SOLD }),
    );
    const event = { id: randomUUID(), type, payload: JSON.stringify({ ...known, warehouse: "B" }) };
    expect(await handle()(event)).toMatchObject({ result: "applied", to: "committed" });
  });
});
