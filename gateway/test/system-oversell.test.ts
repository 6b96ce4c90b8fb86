import { setTimeout as delay } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { addToBasket, basketLines, checkout, createProduct, stockOf } from "./support/checkout.js";
import { type System, startSystem } from "./support/system.js";
import { consumedAll, readTopicUntil } from "./support/topics.js";

// The oversell race end to end: many users check out the last units of one product at once.
let system: System;
beforeAll(async () => {
  system = await startSystem({ name: "oversell" });
});
afterAll(async () => {
  await system?.close();
});

const STOCK = 10;
const settled = { timeout: 90_000, interval: 250 };

describe("the oversell race through the gateway", () => {
  it("30 concurrent checkouts of 1–2 units on a stock of 10: exactly the stock is sold, never below 0, also after the events", async () => {
    const productId = await createProduct(system, { price: "4.99", stock: STOCK });
    const shoppers = Array.from({ length: 30 }, (_, n) => ({
      userId: `oversell-${productId}-${n}`,
      quantity: n % 3 === 0 ? 2 : 1,
    }));
    for (const { userId, quantity } of shoppers) {
      await addToBasket(system, userId, productId, quantity);
    }

    // Watch the stock while the race runs: it must never be seen below zero.
    const seen: number[] = [];
    let racing = true;
    const watcher = (async () => {
      while (racing) {
        seen.push(await stockOf(system, productId));
        await delay(20);
      }
    })();
    const results = await Promise.all(
      shoppers.map(async (shopper) => ({
        ...shopper,
        ...(await checkout(system, shopper.userId)),
      })),
    );
    racing = false;
    await watcher;

    const winners = results.filter((r) => r.processed?.json.status === "PAYMENT_STATUS_COMPLETED");
    const losers = results.filter((r) => !winners.includes(r));
    for (const loser of losers) {
      // Refused before any money moved: the stock could not be reserved.
      expect(loser.created.status).toBe(400);
      expect(loser.created.json).toMatchObject({ code: "failed_precondition" });
      expect(loser.created.json.message).toMatch(/in stock/);
    }
    const sold = winners.reduce((units, winner) => units + winner.quantity, 0);
    const left = await stockOf(system, productId);
    expect(Math.min(...seen, left)).toBeGreaterThanOrEqual(0);
    expect(sold + left).toBe(STOCK);
    // Stock only fell during the race, so whatever is left was too little for every loser; with
    // one-unit baskets among the losers, nothing is left.
    const smallestLoss = Math.min(...losers.map((loser) => loser.quantity));
    expect(left).toBeLessThan(smallestLoss);
    if (smallestLoss === 1) expect(left).toBe(0);

    // A refused checkout leaves no payment and keeps its basket; a won one is emptied by event.
    for (const loser of losers.slice(0, 5)) {
      const listed = await system.as(loser.userId).rest("GET", `/users/${loser.userId}/payments`);
      expect(listed.json.payments).toEqual([]);
      expect(await basketLines(system, loser.userId)).toEqual([`${productId}×${loser.quantity}`]);
    }
    await vi.waitFor(async () => {
      for (const winner of winners) expect(await basketLines(system, winner.userId)).toEqual([]);
    }, settled);

    // Every winner's SOLD event reaches the product service, which applies none a second time.
    const winnerIds = new Set(winners.map((winner) => winner.created.json.id as string));
    const soldEvents = await readTopicUntil(
      system.kafka,
      system.topics.stock,
      (messages) =>
        new Set(messages.map((m) => JSON.parse(m.value ?? "{}").paymentId)).size >= winnerIds.size,
    );
    expect(new Set(soldEvents.map((m) => JSON.parse(m.value ?? "{}").paymentId))).toEqual(
      winnerIds,
    );
    await vi.waitFor(
      async () =>
        expect(await consumedAll(system.kafka, system.groups.stock, system.topics.stock)).toBe(
          true,
        ),
      settled,
    );
    expect(await stockOf(system, productId)).toBe(left);
  }, 180_000);
});
