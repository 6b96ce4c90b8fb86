import { fromJsonString } from "@bufbuild/protobuf";
import type { Redis } from "ioredis";
import { BasketClearedSchema } from "#gen/shop/events/v1/events_pb";
import type { KafkaClient } from "#shared/kafka/client";
import { type RunningConsumer, runConsumer } from "#shared/kafka/consumer";
import type { Logger } from "#shared/logger";
import type { Metrics } from "#shared/metrics";
import { parseUserId } from "../../../services/basket/src/domain/basket.js";
import { createBasketRepository } from "../../../services/basket/src/redis/basket-repository.js";
import type { ProductSql } from "../../../services/product/src/db/connection.js";
import { createStockRepository } from "../../../services/product/src/db/stock-repository.js";
import { createStockEventHandler } from "../../../services/product/src/events/stock-event-handler.js";

/** Where a consumer reads and as which group. */
type Subscription = {
  readonly kafka: KafkaClient;
  readonly topic: string;
  readonly groupId: string;
  readonly logger: Logger;
  readonly metrics: Metrics;
};

/**
 * The product service's `stock-events` consumer, wired from what main has today (the stock event
 * handler and the shared `runConsumer`), until the services compose their own consumers; then
 * this module gives way to theirs.
 */
export function startStockConsumer(
  sql: ProductSql,
  subscription: Subscription,
): Promise<RunningConsumer> {
  const { kafka, topic, ...options } = subscription;
  const apply = createStockEventHandler({
    stock: createStockRepository(sql),
    logger: options.logger,
  });
  return runConsumer(kafka, {
    ...options,
    topics: [topic],
    handle: async (event) => {
      await apply(event);
    },
  });
}

/** The basket service's `basket-events` consumer: BasketCleared empties the basket once per event. */
export function startBasketConsumer(
  redis: Redis,
  subscription: Subscription,
): Promise<RunningConsumer> {
  const { kafka, topic, ...options } = subscription;
  const baskets = createBasketRepository(redis, { ttlSeconds: 600 });
  return runConsumer(kafka, {
    ...options,
    topics: [topic],
    handle: async (event) => {
      if (event.type !== BasketClearedSchema.typeName) return;
      const cleared = fromJsonString(BasketClearedSchema, event.payload, {
        ignoreUnknownFields: true,
      });
      await baskets.clearForEvent(parseUserId(cleared.userId), event.id);
    },
  });
}
