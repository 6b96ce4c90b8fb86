import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { FailedPrecondition, NotFound } from "#shared/errors";
import { formatMoney } from "#shared/money";
import { createBasketRepository } from "../src/redis/basket-repository.js";
import { basketKeys } from "../src/redis/basket-state.js";
import { line, redisFixture } from "./redis-fixture.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const fx = redisFixture();
const { repo, redis } = fx;
afterAll(() => fx.close());

describe("creating and reading a basket", () => {
  it("reports NotFound for a user without a basket", async () => {
    const user = fx.newUser();
    await expect(repo.get(user)).rejects.toThrow(NotFound);
    await expect(repo.get(user)).rejects.toThrow(`basket ${user} not found`);
  });

  it("creates an empty basket with a UUID and equal timestamps", async () => {
    const user = fx.newUser();
    const basket = await repo.create(user);
    expect(basket).toMatchObject({ userId: user, items: [], total: 0n });
    expect(basket.id).toMatch(UUID);
    expect(basket.updatedAt).toEqual(basket.createdAt);
    expect(await repo.get(user)).toEqual(basket);
  });

  it("returns the existing basket unchanged when created again", async () => {
    const user = fx.newUser();
    await repo.addItem(user, line(1n, 2), 10);
    const before = await repo.get(user);
    expect(await repo.create(user)).toEqual(before);
  });

  it("gives every concurrent create the same basket", async () => {
    const user = fx.newUser();
    const baskets = await Promise.all(Array.from({ length: 20 }, () => repo.create(user)));
    expect(new Set(baskets.map((basket) => basket.id)).size).toBe(1);
  });

  it("refuses a non-positive TTL", () => {
    expect(() => createBasketRepository(redis, { ttlSeconds: 0 })).toThrow(RangeError);
  });
});

describe("deleting a basket", () => {
  it("removes the basket and its lines", async () => {
    const user = fx.newUser();
    await repo.addItem(user, line(1n, 1), 10);
    await repo.delete(user);
    await expect(repo.get(user)).rejects.toThrow(NotFound);
    expect(await redis.exists(...basketKeys(user))).toBe(0);
  });

  it("reports NotFound when there is no basket", async () => {
    await expect(repo.delete(fx.newUser())).rejects.toThrow(NotFound);
  });

  it("starts a new basket with a new id afterwards", async () => {
    const user = fx.newUser();
    const first = await repo.create(user);
    await repo.delete(user);
    expect((await repo.create(user)).id).not.toBe(first.id);
  });
});

describe("adding items", () => {
  it("creates the basket and the line when both are missing", async () => {
    const user = fx.newUser();
    const basket = await repo.addItem(user, line(42n, 2, "19.99", "Mug"), 10);
    expect(basket.id).toMatch(UUID);
    expect(basket.items).toHaveLength(1);
    expect(basket.items[0]).toMatchObject({ productId: 42n, name: "Mug", quantity: 2 });
    expect(basket.items[0]).toMatchObject({ price: 1999n, subtotal: 3998n, category: "test" });
    expect(basket.items[0]?.id).toMatch(UUID);
    expect(formatMoney(basket.total)).toBe("39.98");
  });

  it("adds to an existing line and keeps the price, name and line id first captured", async () => {
    const user = fx.newUser();
    const first = await repo.addItem(user, line(7n, 1, "5.00", "Old name"), 10);
    const basket = await repo.addItem(user, line(7n, 2, "9.00", "New name"), 10);
    expect(basket.items).toHaveLength(1);
    expect(basket.items[0]).toMatchObject({ id: first.items[0]?.id, name: "Old name" });
    expect(basket.items[0]).toMatchObject({ quantity: 3, price: 500n, subtotal: 1500n });
    expect(basket.id).toBe(first.id);
  });

  it("keeps one line per product", async () => {
    const user = fx.newUser();
    await repo.addItem(user, line(1n, 1), 10);
    const basket = await repo.addItem(user, line(2n, 1), 10);
    expect(basket.items.map((item) => item.productId)).toEqual([1n, 2n]);
  });

  it("keeps user ids with braces, colons and percent signs apart", async () => {
    const base = `k-${randomUUID()}`;
    const ids = [base, `${base}}:items`, `${base}}`, `{${base}}`, `${base}:items`, `${base}%7D`];
    const users = ids.map((id) => fx.track(id));
    await Promise.all(users.map((user, i) => repo.addItem(user, line(BigInt(i + 1), 1), 10)));
    for (const [i, user] of users.entries()) {
      expect((await repo.get(user)).items.map((item) => item.productId)).toEqual([BigInt(i + 1)]);
    }
  });
});

describe("exact totals", () => {
  it.each([
    ["ten cents three times", "0.10", 3, "0.30"],
    ["the largest price 999 times", "9999999999.99", 999, "9989999999990.01"],
  ])("adds up %s", async (_case, price, quantity, total) => {
    const basket = await repo.addItem(fx.newUser(), line(1n, quantity, price), 1000);
    expect(formatMoney(basket.total)).toBe(total);
  });

  it("sums lines of different prices exactly", async () => {
    const user = fx.newUser();
    await repo.addItem(user, line(1n, 1, "0.10"), 10);
    const basket = await repo.addItem(user, line(2n, 1, "0.20"), 10);
    expect(formatMoney(basket.total)).toBe("0.30");
  });
});

describe("the stock rule", () => {
  it("allows a line up to the stock", async () => {
    const user = fx.newUser();
    await repo.addItem(user, line(42n, 2), 5);
    expect((await repo.addItem(user, line(42n, 3), 5)).items[0]?.quantity).toBe(5);
  });

  it("refuses an add beyond the stock and leaves Redis unchanged", async () => {
    const user = fx.newUser();
    await repo.addItem(user, line(42n, 3), 5);
    const before = await fx.snapshot(user);
    const refused = repo.addItem(user, line(42n, 2), 4);
    await expect(refused).rejects.toThrow(FailedPrecondition);
    await expect(repo.addItem(user, line(42n, 2), 4)).rejects.toThrow(
      "only 4 of product 42 in stock, basket would hold 5",
    );
    expect(await fx.snapshot(user)).toEqual(before);
  });

  it("creates no basket when the first add is refused", async () => {
    const user = fx.newUser();
    await expect(repo.addItem(user, line(1n, 1), 0)).rejects.toThrow("none of product 1 in stock");
    expect(await redis.exists(...basketKeys(user))).toBe(0);
  });

  it("refuses a line above the maximum quantity", async () => {
    const user = fx.newUser();
    await repo.addItem(user, line(1n, 999), 5000);
    await expect(repo.addItem(user, line(1n, 1), 5000)).rejects.toThrow(/at most 999/);
  });
});
