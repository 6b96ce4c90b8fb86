import { inBatches, type Periodic, startPeriodic } from "#shared/periodic";
import { followUp, type PaymentDeps } from "./deps.js";

/** A background task that turns PENDING payments whose time ran out into EXPIRED ones. */
export type ExpirySweeper = {
  /** Expires everything due now, batch after batch; resolves with how many it expired. */
  sweepOnce(): Promise<number>;
  /** Sweeps every `intervalMs` until stopped. */
  start(): void;
  /** Stops the timer and waits for a sweep in progress to finish. */
  stop(): Promise<void>;
};

/**
 * The expiry sweeper. Each batch is one transaction that locks due rows with SKIP LOCKED, so
 * several payment instances sweep side by side without waiting on, or expiring twice, the same
 * payment; a payment being processed right now is skipped and handled by its command. After each
 * batch commits, every expired payment's reservation is released (best effort: the outbox's
 * StockUpdated RELEASED events carry the same release).
 */
export function createExpirySweeper(
  deps: Pick<PaymentDeps, "payments" | "stock" | "logger" | "clock" | "outboxWritten">,
  options: { intervalMs: number; batchSize?: number | undefined },
): ExpirySweeper {
  const { payments, stock, logger, clock } = deps;
  const batchSize = options.batchSize ?? 100;

  /** Expires up to `size` due payments in one transaction, then releases their stock. */
  async function expireBatch(size: number): Promise<number> {
    const expired = await payments.expireDue(clock(), size);
    if (expired.length > 0) deps.outboxWritten?.();
    await Promise.all(
      expired.map((payment) =>
        followUp(logger, "ReleaseStock", payment.id, stock.release(payment.id)),
      ),
    );
    return expired.length;
  }
  const sweepOnce = (stopped = () => false) => inBatches(expireBatch, batchSize, stopped);

  let periodic: Periodic | undefined;
  return {
    sweepOnce: () => sweepOnce(),
    start() {
      periodic ??= startPeriodic({
        async job(stopped) {
          const count = await sweepOnce(stopped);
          if (count > 0) logger.info({ count }, "expired stale pending payments");
          return count;
        },
        intervalMs: options.intervalMs,
        logger,
        failure: "expiry sweep failed",
      });
    },
    async stop() {
      await periodic?.stop();
      periodic = undefined;
    },
  };
}
