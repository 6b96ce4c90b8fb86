import type { Logger } from "#shared/logger";
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

/** A running sweeper. */
export type ReservationSweeper = {
  /** Sweeps now (also while the timer runs); resolves with the number of lines released. */
  sweep(): Promise<number>;
  /** Stops the timer and waits for a sweep in progress. */
  stop(): Promise<void>;
};

/**
 * Releases reservations still `reserved` more than `graceMs` after their expiry, every
 * `intervalMs`. Safe with several product instances: each sweep skips lines another holds. A
 * failed sweep (database down) is logged and tried again on the next tick.
 */
export function startReservationSweeper(options: ReservationSweeperOptions): ReservationSweeper {
  const { stock, logger, intervalMs, graceMs, now = () => new Date() } = options;
  let running: Promise<number> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  async function sweepAll(): Promise<number> {
    const before = new Date(now().getTime() - graceMs);
    let released = 0;
    let batch: number;
    do {
      batch = await stock.releaseExpired(before, BATCH);
      released += batch;
    } while (batch === BATCH && !stopped);
    if (released > 0) logger.info({ released }, "released expired stock reservations");
    return released;
  }

  function sweep(): Promise<number> {
    // One sweep at a time per process; a caller arriving meanwhile shares it.
    running ??= sweepAll().finally(() => {
      running = undefined;
    });
    return running;
  }

  function schedule() {
    if (stopped) return;
    timer = setTimeout(() => {
      sweep()
        .catch((error: unknown) => logger.warn({ err: error }, "stock reservation sweep failed"))
        .finally(schedule);
    }, intervalMs);
    // The server keeps the process alive; the sweeper never should on its own.
    timer.unref();
  }

  schedule();
  return {
    sweep,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running?.catch(() => {});
    },
  };
}
