import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer } from "#shared-test/auth";
import { type GrpcJsClient, loadGrpcJsClient } from "#shared-test/grpc-js-client";
import { startTestServer } from "#shared-test/service-harness";
import { createBasketApp } from "../src/app.js";
import { redisFixture, TTL_SECONDS } from "./redis-fixture.js";
import { fakeProductService } from "./support/fake-products.js";

const fixture = redisFixture();
let server: Awaited<ReturnType<typeof startTestServer>>;
let client: GrpcJsClient;

beforeAll(async () => {
  const products = fakeProductService(
    new Map([[7n, { name: "Pen", price: "1.25", category: "office", stockQuantity: 9 }]]),
  );
  server = await startTestServer(
    createBasketApp({ redis: fixture.redis, products, ttlSeconds: TTL_SECONDS }),
  );
  client = loadGrpcJsClient(
    "shop/basket/v1/basket.proto",
    "shop.basket.v1.BasketService",
    `127.0.0.1:${server.port}`,
  );
});
afterAll(async () => {
  client?.close();
  await server?.close(1000);
  await fixture.close();
});

describe("a @grpc/grpc-js client on BasketService", () => {
  it("adds an item and reads the basket back", async () => {
    const userId = fixture.newUser("grpcjs");
    const asOwner = await bearer(userId);
    await client.call("AddItem", { userId, productId: "7", quantity: 2 }, asOwner);
    const { basket } = await client.call<{ basket: Record<string, unknown> }>(
      "GetBasket",
      { userId },
      asOwner,
    );
    expect(basket).toMatchObject({
      userId,
      total: "2.50",
      items: [{ productId: "7", name: "Pen", quantity: 2, price: "1.25", subtotal: "2.50" }],
    });
  });

  it("sees FAILED_PRECONDITION when the stock is short", async () => {
    const userId = fixture.newUser("grpcjs");
    await expect(
      client.call("AddItem", { userId, productId: "7", quantity: 10 }, await bearer(userId)),
    ).rejects.toMatchObject({ code: grpc.status.FAILED_PRECONDITION });
  });

  it("sees UNAUTHENTICATED without a token and PERMISSION_DENIED with another user's", async () => {
    const userId = fixture.newUser("grpcjs");
    await expect(client.call("GetBasket", { userId })).rejects.toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
    });
    await expect(
      client.call("GetBasket", { userId }, await bearer(`${userId}-other`)),
    ).rejects.toMatchObject({ code: grpc.status.PERMISSION_DENIED });
  });
});
