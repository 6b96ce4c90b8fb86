import { afterAll, describe, expect, it } from "vitest";
import { FailedPrecondition, NotFound } from "#shared/errors";
import { formatMoney } from "#shared/money";
import { line, redisFixture } from "./redis-fixture.js";

const fx = redisFixture();
const { repo } = fx;
afterAll(() => fx.close());

/** A user whose basket holds products 1 (×2 at 1.50) and 2 (×1 at 0.25). */
async function userWithTwoLines() {
  const user = fx.newUser();
  await repo.addItem(user, line(1n, 2, "1.50"), 10);
  const basket = await repo.addItem(user, line(2n, 1, "0.25"), 10);
  return { user, basket };
}

describe("updating an item", () => {
  it("sets the quantity and recomputes the subtotal and total", async () => {
    const { user } = await userWithTwoLines();
    const basket = await repo.updateItem(user, 1n, 7, 10);
    expect(basket.items[0]).toMatchObject({ productId: 1n, quantity: 7, subtotal: 1050n });
    expect(formatMoney(basket.total)).toBe("10.75");
  });

  it("can lower a quantity", async () => {
    const { user } = await userWithTwoLines();
    expect((await repo.updateItem(user, 1n, 1, 10)).items[0]?.quantity).toBe(1);
  });

  it("refuses a quantity above the stock and leaves Redis unchanged", async () => {
    const { user } = await userWithTwoLines();
    const before = await fx.snapshot(user);
    const refused = repo.updateItem(user, 1n, 4, 3);
    await expect(refused).rejects.toThrow(FailedPrecondition);
    await expect(refused).rejects.toThrow("only 3 of product 1 in stock, basket would hold 4");
    expect(await fx.snapshot(user)).toEqual(before);
  });

  it("reports NotFound for a product not in the basket", async () => {
    const { user } = await userWithTwoLines();
    await expect(repo.updateItem(user, 3n, 1, 10)).rejects.toThrow("basket item 3 not found");
  });

  it("reports NotFound for a user without a basket", async () => {
    const user = fx.newUser();
    await expect(repo.updateItem(user, 1n, 1, 10)).rejects.toThrow(`basket ${user} not found`);
  });

  it("moves updatedAt forward and keeps createdAt", async () => {
    const { user, basket: before } = await userWithTwoLines();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const after = await repo.updateItem(user, 2n, 3, 10);
    expect(after.createdAt).toEqual(before.createdAt);
    expect(after.updatedAt.getTime()).toBeGreaterThan(before.updatedAt.getTime());
  });
});

describe("removing an item", () => {
  it("removes the line and lowers the total", async () => {
    const { user } = await userWithTwoLines();
    const basket = await repo.removeItem(user, 1n);
    expect(basket.items.map((item) => item.productId)).toEqual([2n]);
    expect(formatMoney(basket.total)).toBe("0.25");
  });

  it("keeps the basket when its last line goes", async () => {
    const { user, basket: before } = await userWithTwoLines();
    await repo.removeItem(user, 1n);
    const basket = await repo.removeItem(user, 2n);
    expect(basket).toMatchObject({ id: before.id, items: [], total: 0n });
    expect((await repo.get(user)).id).toBe(before.id);
  });

  it("reports NotFound for a product not in the basket, changing nothing", async () => {
    const { user } = await userWithTwoLines();
    const before = await fx.snapshot(user);
    await expect(repo.removeItem(user, 3n)).rejects.toThrow(NotFound);
    expect(await fx.snapshot(user)).toEqual(before);
  });

  it("reports NotFound for a user without a basket", async () => {
    await expect(repo.removeItem(fx.newUser(), 1n)).rejects.toThrow(/^basket .* not found$/);
  });
});

describe("clearing items", () => {
  it("removes every line and keeps the basket", async () => {
    const { user, basket: before } = await userWithTwoLines();
    const basket = await repo.clearItems(user);
    expect(basket).toMatchObject({ id: before.id, items: [], total: 0n });
    expect(await repo.get(user)).toEqual(basket);
  });

  it("accepts an already empty basket", async () => {
    const user = fx.newUser();
    await repo.create(user);
    expect((await repo.clearItems(user)).items).toEqual([]);
  });

  it("reports NotFound for a user without a basket", async () => {
    await expect(repo.clearItems(fx.newUser())).rejects.toThrow(NotFound);
  });
});
