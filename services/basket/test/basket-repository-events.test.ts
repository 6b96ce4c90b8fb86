import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { line, redisFixture } from "./redis-fixture.js";

const fx = redisFixture();
const { repo } = fx;
afterAll(() => fx.close());

describe("clearing a basket for a BasketCleared event", () => {
  it("empties the basket and keeps it", async () => {
    const user = fx.newUser();
    const before = await repo.addItem(user, line(1n, 2), 10);
    expect(await repo.clearForEvent(user, randomUUID())).toBe("cleared");
    const after = await repo.get(user);
    expect(after).toMatchObject({ id: before.id, items: [], total: 0n });
  });

  it("applies a redelivered event once: lines added since survive", async () => {
    const user = fx.newUser();
    const event = randomUUID();
    await repo.addItem(user, line(1n, 2), 10);
    expect(await repo.clearForEvent(user, event)).toBe("cleared");
    await repo.addItem(user, line(2n, 1), 10);
    expect(await repo.clearForEvent(user, event)).toBe("duplicate");
    expect((await repo.get(user)).items.map((item) => item.productId)).toEqual([2n]);
  });

  it("applies one of many concurrent deliveries of the same event", async () => {
    const user = fx.newUser();
    const event = randomUUID();
    await repo.addItem(user, line(1n, 1), 10);
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, () => repo.clearForEvent(user, event)),
    );
    expect(outcomes.filter((outcome) => outcome === "cleared")).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome === "duplicate")).toHaveLength(9);
  });

  it("records the event for a user without a basket, and creates none", async () => {
    const user = fx.newUser();
    const event = randomUUID();
    expect(await repo.clearForEvent(user, event)).toBe("no_basket");
    expect(await repo.clearForEvent(user, event)).toBe("duplicate");
    await expect(repo.get(user)).rejects.toThrow("not found");
  });

  it("keeps one user's events apart from another's", async () => {
    const [alice, bob] = [fx.newUser(), fx.newUser()];
    const event = randomUUID();
    await repo.addItem(alice, line(1n, 1), 10);
    await repo.addItem(bob, line(1n, 1), 10);
    expect(await repo.clearForEvent(alice, event)).toBe("cleared");
    expect(await repo.clearForEvent(bob, event)).toBe("cleared");
  });
});
