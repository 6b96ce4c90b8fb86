import type { Logger } from "#shared/logger";
import { type Periodic, startAgeSweep } from "#shared/periodic";
import type { StockRepository } from "./db/stock-repository.js";

/** Lines released per transaction; a sweep repeats until a batch comes back short. */
const BATCH = 200;

export type ReservationSweeperOptions = {
  stock: Pick<StockRepository, "releaseExpired">;
  logger: Logger;
  /** Pause between sweeps. */
  intervalMs: number;
  /**
   * How long after its expiry a reservation is still left alone: a payment that began charging
   * just before the expiry must still be able to commit. The payment service releases its own
   * expired payments' stock by event; this sweep is the safety net for the ones it never does.
   */
  graceMs: number;
  /** The clock; tests move it. */
  now?: () => Date;
};

/**
 * Releases reservations still `reserved` more than `graceMs` after their expiry, every
 * `intervalMs`; `run()` sweeps now and resolves with the number of lines released. Safe with
 * several product instances: each sweep skips lines another holds.
 */
export function startReservationSweeper(options: ReservationSweeperOptions): Periodic {
  const { stock, logger, intervalMs, graceMs, now } = options;
  return startAgeSweep({
    sweep: (before, limit) => stock.releaseExpired(before, limit),
    ageMs: graceMs,
    batch: BATCH,
    report: (released) => logger.info({ released }, "released expired stock reservations"),
    now,
    intervalMs,
    logger,
    failure: "stock reservation sweep failed",
  });
}
