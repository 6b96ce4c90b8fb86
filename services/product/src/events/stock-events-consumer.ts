import { type BackgroundConsumer, consumeInBackground } from "#shared/kafka/background";
import type { KafkaClient } from "#shared/kafka/client";
import type { ConsumerOptions } from "#shared/kafka/consumer";
import { TOPICS } from "#shared/kafka/topics";
import type { Logger } from "#shared/logger";
import type { Metrics } from "#shared/metrics";
import type { StockRepository } from "../db/stock-repository.js";
import { createStockEventHandler } from "./stock-event-handler.js";

/** The consumer group of the product service on `stock-events`. */
export const STOCK_EVENTS_GROUP = "product-stock";

export type StockEventsConsumerDeps = {
  readonly kafka: KafkaClient;
  readonly stock: Pick<StockRepository, "applyStockUpdated">;
  readonly logger: Logger;
  /** The service's metrics: the Kafka counters and lag then appear on its /metrics. */
  readonly metrics: Metrics;
  /** Tests consume their own topic and group; the service keeps the defaults. */
  readonly topic?: string;
} & Partial<Pick<ConsumerOptions, "groupId" | "maxAttempts" | "backoff">>;

/**
 * Applies StockUpdated events from `stock-events` to the reservation lines, exactly once in
 * effect (event ids recorded in the same transaction). A malformed event goes to
 * `stock-events.dlq` at once; a failure such as the database being down is retried with backoff
 * and dead-lettered only after the bounded attempts. Starts in the background: the service
 * serves while Kafka is away.
 */
export function consumeStockEvents(deps: StockEventsConsumerDeps): BackgroundConsumer {
  const { kafka, stock, topic = TOPICS.stock, groupId = STOCK_EVENTS_GROUP, ...options } = deps;
  const apply = createStockEventHandler({ stock, logger: deps.logger });
  return consumeInBackground(kafka, {
    ...options,
    groupId,
    topics: [topic],
    handle: async (event) => {
      await apply(event);
    },
  });
}
