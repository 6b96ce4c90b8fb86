import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { BasketService } from "#gen/shop/basket/v1/basket_pb";
import { asService } from "#shared-test/auth";
import { codeOf } from "#shared-test/code-of";
import { type PrivateServer, startPrivateRedis } from "#shared-test/private-servers";
import { startTestServer } from "#shared-test/service-harness";
import { startTcpProxy } from "#shared-test/tcp-proxy";
import { createBasketApp } from "../src/app.js";
import { connectRedis } from "../src/redis/connection.js";
import { type FakeProduct, fakeProductService } from "./support/fake-products.js";

// The basket service on a Redis of this file's own, which the tests stop and start.
const catalogue = new Map<bigint, FakeProduct>([
  [1n, { name: "Tea", price: "3.10", category: "drinks", stockQuantity: 10 }],
]);
let redisServer: PrivateServer;
const clients: Redis[] = [];
const servers: Awaited<ReturnType<typeof startTestServer>>[] = [];

/** A basket service on Redis at `port`, with a client whose calls have a deadline. */
async function basketServiceOn(port: number) {
  const redis = connectRedis({ host: "127.0.0.1", port, db: 0 });
  redis.on("error", () => {}); // expected while Redis is down
  clients.push(redis);
  const app = createBasketApp({ redis, products: fakeProductService(catalogue), ttlSeconds: 60 });
  const server = await startTestServer(app);
  servers.push(server);
  const baskets = createClient(
    BasketService,
    createGrpcTransport({ baseUrl: server.baseUrl, interceptors: [asService()] }),
  );
  return {
    addTea: (userId: string) => baskets.addItem({ userId, productId: 1n, quantity: 1 }, within),
    get: (userId: string) => baskets.getBasket({ userId }, within),
    ready: async () =>
      (await fetch(`${server.baseUrl}/ready`, { signal: AbortSignal.timeout(15_000) })).status,
  };
}
// Each call has a deadline, so a hang fails the test instead of stalling it.
const within = { timeoutMs: 15_000 };

beforeAll(async () => {
  redisServer = await startPrivateRedis();
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close(100)));
  for (const redis of clients) redis.disconnect();
  await redisServer?.close();
});

describe("the basket service while Redis is down", () => {
  it("answers Unavailable and is not ready, then recovers by itself when it returns", async () => {
    const service = await basketServiceOn(redisServer.port);
    await service.addTea("alice");
    await redisServer.stop();

    expect(await codeOf(service.get("alice"))).toBe(Code.Unavailable);
    expect(await codeOf(service.addTea("alice"))).toBe(Code.Unavailable);
    expect(await service.ready()).toBe(503);

    await redisServer.start();
    await vi.waitFor(async () => expect(await service.ready()).toBe(200), {
      timeout: 20_000,
      interval: 200,
    });
    // a Redis without persistence comes back empty: the basket is gone, the service is not
    expect(await codeOf(service.get("alice"))).toBe(Code.NotFound);
    expect((await service.addTea("alice")).basket?.items).toHaveLength(1);
  });

  it("answers within its deadline and is not ready when Redis goes silent", async () => {
    const proxy = await startTcpProxy(redisServer.port);
    try {
      const service = await basketServiceOn(Number(new URL(proxy.url).port));
      await service.addTea("bob");
      proxy.freeze();
      const failure = await service.get("bob").catch(ConnectError.from);
      // the service's own answer, not the client giving up at its deadline
      expect(failure).toBeInstanceOf(ConnectError);
      expect((failure as ConnectError).rawMessage).toMatch(/^basket store \(Redis\)/);
      expect([Code.DeadlineExceeded, Code.Unavailable]).toContain((failure as ConnectError).code);
      expect(await service.ready()).toBe(503);
    } finally {
      await proxy.close();
    }
  });
});
