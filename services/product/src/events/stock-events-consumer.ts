import {
  type BackgroundConsumer,
  consumeTopicInBackground,
  type ServiceConsumerDeps,
} from "#shared/kafka/background";
import { TOPICS } from "#shared/kafka/topics";
import type { StockRepository } from "../db/stock-repository.js";
import { createStockBatchHandler, createStockEventHandler } from "./stock-event-handler.js";

/** The consumer group of the product service on `stock-events`. */
export const STOCK_EVENTS_GROUP = "product-stock";

export type StockEventsConsumerDeps = ServiceConsumerDeps & {
  readonly stock: Pick<StockRepository, "applyStockUpdated" | "applyStockUpdates">;
};

/**
 * Applies StockUpdated events from `stock-events` to the reservation lines, exactly once in
 * effect (event ids recorded in the same transaction; a fetched run of events in one statement).
 * A malformed event goes to
 * `stock-events.dlq` at once; a failure such as the database being down is retried with backoff
 * and dead-lettered only after the bounded attempts. Starts in the background: the service
 * serves while Kafka is away.
 */
export function consumeStockEvents(deps: StockEventsConsumerDeps): BackgroundConsumer {
  const apply = createStockEventHandler(deps);
  const applyAll = createStockBatchHandler(deps);
  const defaults = { topic: TOPICS.stock, groupId: STOCK_EVENTS_GROUP };
  return consumeTopicInBackground(
    deps,
    defaults,
    async (event) => {
      await apply(event);
    },
    async (received) => {
      await applyAll(received.map(({ event }) => event));
    },
  );
}
