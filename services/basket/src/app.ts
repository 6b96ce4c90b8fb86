import type { Transport } from "@connectrpc/connect";
import type { Redis } from "ioredis";
import { BasketService } from "#gen/shop/basket/v1/basket_pb";
import { bindService, type ServiceBinding } from "#shared/server/service-server";
import { callStore } from "#shared/store-errors";
import { createProductCatalog } from "./clients/product-catalog.js";
import { createBasketRepository } from "./redis/basket-repository.js";
import { createBasketService } from "./rpc/basket-service.js";

/** Longest wait of a readiness probe: /ready answers 503 rather than wait out a Redis outage. */
const READY_DEADLINE = { name: "basket store (Redis)", deadlineMs: 1_500 };

/**
 * What the basket service serves, given Redis and a transport to the product service; shared by
 * main.ts and the tests. Readiness depends on Redis only, so a product outage does not cascade.
 */
export function createBasketApp(deps: { redis: Redis; products: Transport; ttlSeconds: number }): {
  services: ServiceBinding[];
  isReady: () => Promise<boolean>;
} {
  const baskets = createBasketRepository(deps.redis, { ttlSeconds: deps.ttlSeconds });
  const catalog = createProductCatalog(deps.products);
  return {
    services: [bindService(BasketService, createBasketService(baskets, catalog))],
    isReady: () =>
      callStore(READY_DEADLINE, () => baskets.ping()).then(
        () => true,
        () => false,
      ),
  };
}
