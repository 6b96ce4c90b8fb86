import { randomUUID } from "node:crypto";
import { type Client, Code, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BasketService } from "#gen/shop/basket/v1/basket_pb";
import { createServiceTransport } from "#shared/rpc/client";
import { asService } from "#shared-test/auth";
import { codeOf } from "#shared-test/code-of";
import { startTestServer } from "#shared-test/service-harness";
import { createBasketApp } from "../src/app.js";
import { redisFixture, TTL_SECONDS } from "./redis-fixture.js";
import { type FakeProduct, fakeProductService } from "./support/fake-products.js";

const fixture = redisFixture();
const catalogue = new Map<bigint, FakeProduct>([
  [1n, { name: "Tea", price: "3.10", category: "drinks", stockQuantity: 10 }],
  [2n, { name: "Mug", price: "0.10", category: "kitchen", stockQuantity: 3 }],
]);
let server: Awaited<ReturnType<typeof startTestServer>>;
let client: Client<typeof BasketService>;

beforeAll(async () => {
  const app = createBasketApp({
    redis: fixture.redis,
    products: fakeProductService(catalogue),
    ttlSeconds: TTL_SECONDS,
  });
  server = await startTestServer(app);
  client = createClient(
    BasketService,
    createGrpcTransport({ baseUrl: server.baseUrl, interceptors: [asService()] }),
  );
});
afterAll(async () => {
  await server?.close(1000);
  await fixture.close();
});

describe("BasketService with an in-memory product service", () => {
  it("adds items with the product's name, price and category and exact totals", async () => {
    const userId = fixture.newUser();
    await client.addItem({ userId, productId: 1n, quantity: 2 });
    const { basket } = await client.addItem({ userId, productId: 2n, quantity: 3 });
    expect(basket?.total).toBe("6.50");
    expect(
      basket?.items.map(({ productId, name, price, subtotal, category, quantity }) => ({
        productId,
        name,
        price,
        subtotal,
        category,
        quantity,
      })),
    ).toEqual([
      {
        productId: 1n,
        name: "Tea",
        price: "3.10",
        subtotal: "6.20",
        category: "drinks",
        quantity: 2,
      },
      {
        productId: 2n,
        name: "Mug",
        price: "0.10",
        subtotal: "0.30",
        category: "kitchen",
        quantity: 3,
      },
    ]);
  });

  it("refuses more than the stock across adds, and leaves the basket as it was", async () => {
    const userId = fixture.newUser();
    await client.addItem({ userId, productId: 2n, quantity: 2 });
    const before = await fixture.snapshot(userId);
    expect(await codeOf(client.addItem({ userId, productId: 2n, quantity: 2 }))).toBe(
      Code.FailedPrecondition,
    );
    expect(await codeOf(client.updateItem({ userId, productId: 2n, quantity: 4 }))).toBe(
      Code.FailedPrecondition,
    );
    expect(await fixture.snapshot(userId)).toEqual(before);
  });

  it("answers NotFound for an unknown product and creates no basket", async () => {
    const userId = fixture.newUser();
    expect(await codeOf(client.addItem({ userId, productId: 99n, quantity: 1 }))).toBe(
      Code.NotFound,
    );
    expect(await codeOf(client.getBasket({ userId }))).toBe(Code.NotFound);
  });

  it("rejects malformed input with InvalidArgument", async () => {
    const userId = fixture.newUser();
    expect(await codeOf(client.addItem({ userId, productId: 1n, quantity: 0 }))).toBe(
      Code.InvalidArgument,
    );
    expect(await codeOf(client.addItem({ userId, productId: 1n, quantity: 1000 }))).toBe(
      Code.InvalidArgument,
    );
    expect(await codeOf(client.addItem({ userId, productId: 0n, quantity: 1 }))).toBe(
      Code.InvalidArgument,
    );
    expect(await codeOf(client.getBasket({ userId: "" }))).toBe(Code.InvalidArgument);
  });

  it("updates, removes and clears lines, then deletes the basket", async () => {
    const userId = fixture.newUser();
    await client.addItem({ userId, productId: 1n, quantity: 1 });
    await client.addItem({ userId, productId: 2n, quantity: 1 });
    expect((await client.updateItem({ userId, productId: 1n, quantity: 5 })).basket?.total).toBe(
      "15.60",
    );
    expect((await client.removeItem({ userId, productId: 2n })).basket?.items).toHaveLength(1);
    expect(await codeOf(client.removeItem({ userId, productId: 2n }))).toBe(Code.NotFound);
    const cleared = await client.clearItems({ userId });
    expect(cleared.basket).toMatchObject({ items: [], total: "0.00" });
    await client.deleteBasket({ userId });
    expect(await codeOf(client.getBasket({ userId }))).toBe(Code.NotFound);
    expect(await codeOf(client.deleteBasket({ userId }))).toBe(Code.NotFound);
  });

  it("creates a basket idempotently", async () => {
    const userId = fixture.newUser();
    const first = await client.createBasket({ userId });
    await client.addItem({ userId, productId: 1n, quantity: 1 });
    const second = await client.createBasket({ userId });
    expect(second.basket?.id).toBe(first.basket?.id);
    expect(second.basket?.items).toHaveLength(1);
  });
});

describe("BasketService when the product service is down", () => {
  let lonely: Awaited<ReturnType<typeof startTestServer>>;
  let orphan: Client<typeof BasketService>;
  beforeAll(async () => {
    const products = createServiceTransport({
      urls: ["http://127.0.0.1:1"],
      timeoutMs: 1000,
      retriesOnUnavailable: 1,
    });
    lonely = await startTestServer(
      createBasketApp({ redis: fixture.redis, products, ttlSeconds: TTL_SECONDS }),
    );
    orphan = createClient(
      BasketService,
      createGrpcTransport({ baseUrl: lonely.baseUrl, interceptors: [asService()] }),
    );
  });
  afterAll(() => lonely?.close(500));

  it("answers Unavailable and leaves the basket untouched", async () => {
    const userId = fixture.newUser();
    await client.addItem({ userId, productId: 1n, quantity: 1 });
    const before = await fixture.snapshot(userId);
    expect(await codeOf(orphan.addItem({ userId, productId: 1n, quantity: 1 }))).toBe(
      Code.Unavailable,
    );
    expect(await codeOf(orphan.updateItem({ userId, productId: 1n, quantity: 2 }))).toBe(
      Code.Unavailable,
    );
    expect(await fixture.snapshot(userId)).toEqual(before);
  });

  it("still serves reads and stays ready: readiness depends on Redis only", async () => {
    const userId = fixture.newUser();
    await client.createBasket({ userId });
    expect((await orphan.getBasket({ userId })).basket?.userId).toBe(userId);
    expect((await fetch(`${lonely.baseUrl}/ready`)).status).toBe(200);
  });
});

describe("BasketService readiness", () => {
  it("is not ready while Redis is unreachable", async () => {
    const { connectRedis } = await import("../src/redis/connection.js");
    const dead = connectRedis({ host: "127.0.0.1", port: 1, db: 0 });
    dead.on("error", () => {});
    const app = createBasketApp({
      redis: dead,
      products: fakeProductService(catalogue),
      ttlSeconds: 60,
    });
    const down = await startTestServer(app);
    try {
      expect((await fetch(`${down.baseUrl}/ready`)).status).toBe(503);
      const userId = `user-${randomUUID()}`;
      expect(
        await codeOf(
          createClient(
            BasketService,
            createGrpcTransport({ baseUrl: down.baseUrl, interceptors: [asService()] }),
          ).getBasket({
            userId,
          }),
        ),
      ).toBe(Code.Unavailable);
    } finally {
      await down.close(100);
      dead.disconnect();
    }
  });
});
