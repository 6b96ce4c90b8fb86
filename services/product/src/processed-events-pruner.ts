import type { Logger } from "#shared/logger";
import { type Periodic, startAgeSweep } from "#shared/periodic";
import type { StockRepository } from "./db/stock-repository.js";

/** Ids deleted per statement; a run repeats until a batch comes back short. */
const BATCH = 1000;

export type ProcessedEventsPrunerOptions = {
  stock: Pick<StockRepository, "forgetProcessedEvents">;
  logger: Logger;
  /** Pause between runs. */
  intervalMs: number;
  /**
   * How long an applied event's id is kept for deduplication. Longer than the topic keeps its
   * messages (the broker's retention, 7 days by default), so any copy Kafka can still deliver
   * finds its id.
   */
  retentionMs: number;
  /** The clock; tests move it. */
  now?: () => Date;
};

/**
 * Deletes the ids of stock events processed more than `retentionMs` ago, every `intervalMs`, so
 * `processed_events` holds a retention's worth of events instead of every event ever applied.
 * `run()` prunes now and resolves with the number of ids deleted. Safe with several product
 * instances: each skips the rows another is deleting.
 */
export function startProcessedEventsPruner(options: ProcessedEventsPrunerOptions): Periodic {
  const { stock, logger, intervalMs, retentionMs, now } = options;
  return startAgeSweep({
    sweep: (before, limit) => stock.forgetProcessedEvents(before, limit),
    ageMs: retentionMs,
    batch: BATCH,
    report: (forgotten, before) =>
      logger.info({ forgotten, before }, "pruned processed stock event ids"),
    now,
    intervalMs,
    logger,
    failure: "pruning processed stock event ids failed",
  });
}
