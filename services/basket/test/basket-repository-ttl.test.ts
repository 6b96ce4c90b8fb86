import { afterAll, describe, expect, it } from "vitest";
import type { UserId } from "../src/domain/basket.js";
import { basketKeys } from "../src/redis/basket-state.js";
import { line, redisFixture, TTL_SECONDS } from "./redis-fixture.js";

const fx = redisFixture();
const { repo, redis } = fx;
afterAll(() => fx.close());

const SHORT_MS = 10_000;
// generous slack: the test only has to tell "refreshed" (~1 h) from "left alone" (≤ 10 s)
const REFRESHED_MS = (TTL_SECONDS - 60) * 1000;

/** A basket with products 1 and 2 whose keys are about to expire. */
async function expiringBasket(): Promise<UserId> {
  const user = fx.newUser();
  await repo.addItem(user, line(1n, 1), 10);
  await repo.addItem(user, line(2n, 1), 10);
  for (const key of basketKeys(user)) await redis.pexpire(key, SHORT_MS);
  return user;
}

async function pttls(user: UserId): Promise<number[]> {
  return Promise.all(basketKeys(user).map((key) => redis.pttl(key)));
}

describe("the idle TTL", () => {
  it("is set on both keys when a basket gets a line", async () => {
    const user = fx.newUser();
    await repo.addItem(user, line(1n, 1), 10);
    for (const ttl of await pttls(user)) {
      expect(ttl).toBeGreaterThan(REFRESHED_MS);
      expect(ttl).toBeLessThanOrEqual(TTL_SECONDS * 1000);
    }
  });

  it("is set on a new empty basket", async () => {
    const user = fx.newUser();
    await repo.create(user);
    expect(await redis.ttl(basketKeys(user)[0])).toBe(TTL_SECONDS);
  });

  it.each([
    ["get", (user: UserId) => repo.get(user)],
    ["create", (user: UserId) => repo.create(user)],
    ["addItem", (user: UserId) => repo.addItem(user, line(1n, 1), 10)],
    ["updateItem", (user: UserId) => repo.updateItem(user, 1n, 3, 10)],
    ["removeItem", (user: UserId) => repo.removeItem(user, 2n)],
  ])("is refreshed on both keys by %s", async (_name, operation) => {
    const user = await expiringBasket();
    await operation(user);
    for (const ttl of await pttls(user)) expect(ttl).toBeGreaterThan(REFRESHED_MS);
  });

  it("is refreshed by clearItems on the basket that remains", async () => {
    const user = await expiringBasket();
    await repo.clearItems(user);
    expect(await pttls(user)).toEqual([expect.any(Number), -2]);
    expect((await pttls(user))[0]).toBeGreaterThan(REFRESHED_MS);
  });

  it.each([
    ["an add beyond the stock", (user: UserId) => repo.addItem(user, line(1n, 5), 5)],
    ["an update of a missing line", (user: UserId) => repo.updateItem(user, 9n, 1, 10)],
    ["a removal of a missing line", (user: UserId) => repo.removeItem(user, 9n)],
  ])("is left alone by %s", async (_name, operation) => {
    const user = await expiringBasket();
    await expect(operation(user)).rejects.toThrow();
    for (const ttl of await pttls(user)) expect(ttl).toBeLessThanOrEqual(SHORT_MS);
  });

  it("lets an idle basket expire", async () => {
    const user = fx.newUser();
    await repo.addItem(user, line(1n, 1), 10);
    for (const key of basketKeys(user)) await redis.pexpire(key, 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await expect(repo.get(user)).rejects.toThrow("not found");
  });

  it("is refreshed by get without moving updatedAt", async () => {
    const user = await expiringBasket();
    const before = await repo.get(user);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await repo.get(user)).updatedAt).toEqual(before.updatedAt);
  });
});
