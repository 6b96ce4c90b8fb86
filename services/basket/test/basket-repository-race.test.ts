import { afterAll, describe, expect, it } from "vitest";
import { FailedPrecondition } from "#shared/errors";
import { formatMoney } from "#shared/money";
import type { Basket } from "../src/domain/basket.js";
import { line, redisFixture } from "./redis-fixture.js";

// Four connections, as four service instances would have: requests interleave in Redis instead
// of queueing behind each other on one socket.
const fx = redisFixture(4);
const { repo, repos } = fx;
afterAll(() => fx.close());

const HOT = 1000n;
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);
const instance = (i: number) => repos[i % repos.length] as typeof repo;
const quantityOf = (basket: Basket, productId: bigint) =>
  basket.items.find((item) => item.productId === productId)?.quantity;

describe("concurrent changes to one basket", () => {
  it.each([
    ["an existing basket holding the hot product once", 1],
    ["no basket yet", 0],
  ])("lose no line and no quantity, starting from %s", async (_case, start) => {
    const user = fx.newUser("race");
    if (start > 0) await repo.addItem(user, line(HOT, start, "19.99"), 10_000);
    const adds = range(1, 50).map((p, i) =>
      instance(i).addItem(user, line(BigInt(p), 1, "0.10"), 10),
    );
    const hits = range(0, 50).map((i) =>
      instance(i + 1).addItem(user, line(HOT, 1, "19.99"), 10_000),
    );
    const results = await Promise.all([...adds, ...hits]);

    const basket = await repo.get(user);
    expect(basket.items).toHaveLength(51);
    expect(quantityOf(basket, HOT)).toBe(start + 50);
    // 50 lines × 0.10 + (start + 50) × 19.99
    expect(formatMoney(basket.total)).toBe(start === 1 ? "1024.49" : "1004.50");
    expect(new Set(results.map((result) => result.id))).toEqual(new Set([basket.id]));
  });

  it("keep every update, removal and addition when mixed", async () => {
    const user = fx.newUser("race");
    await Promise.all(range(1, 60).map((p) => repo.addItem(user, line(BigInt(p), 2, "0.01"), 100)));
    await Promise.all([
      ...range(1, 20).map((p, i) => instance(i).removeItem(user, BigInt(p))),
      ...range(21, 20).map((p, i) => instance(i + 1).updateItem(user, BigInt(p), 7, 100)),
      ...range(41, 20).flatMap((p, i) => [
        instance(i + 2).addItem(user, line(BigInt(p), 1, "0.01"), 100),
        instance(i + 3).addItem(user, line(BigInt(p), 1, "0.01"), 100),
      ]),
      ...range(61, 20).map((p, i) => instance(i).addItem(user, line(BigInt(p), 1, "0.01"), 100)),
    ]);

    const basket = await repo.get(user);
    const quantities = new Map(basket.items.map((item) => [Number(item.productId), item.quantity]));
    const expected = new Map([
      ...range(21, 20).map((p) => [p, 7] as const),
      ...range(41, 20).map((p) => [p, 4] as const),
      ...range(61, 20).map((p) => [p, 1] as const),
    ]);
    expect(quantities).toEqual(expected);
    expect(formatMoney(basket.total)).toBe("2.40"); // (20×7 + 20×4 + 20×1) cents
  });

  it("never let a line exceed the stock, however many adds race for it", async () => {
    const user = fx.newUser("race");
    const outcomes = await Promise.allSettled(
      range(0, 30).map((i) => instance(i).addItem(user, line(HOT, 1), 10)),
    );
    const refused = outcomes.filter((outcome) => outcome.status === "rejected");
    expect(outcomes.length - refused.length).toBe(10);
    for (const outcome of refused) expect(outcome.reason).toBeInstanceOf(FailedPrecondition);
    expect(quantityOf(await repo.get(user), HOT)).toBe(10);
  });

  it("let a removal win over updates racing it, and the updates after it find no line", async () => {
    const user = fx.newUser("race");
    await repo.addItem(user, line(1n, 1), 100);
    await repo.addItem(user, line(2n, 1), 100);
    const updates = range(2, 20).map((q, i) => instance(i).updateItem(user, 1n, q, 100));
    const removal = instance(3).removeItem(user, 1n);
    const outcomes = await Promise.allSettled(updates);
    await expect(removal).resolves.toBeDefined();
    for (const outcome of outcomes) {
      if (outcome.status === "rejected")
        expect(outcome.reason.message).toBe("basket item 1 not found");
    }
    const basket = await repo.get(user);
    expect(basket.items.map((item) => [item.productId, item.quantity])).toEqual([[2n, 1]]);
  });
});
