import type { Logger } from "./logger.js";

/** A background job started by `startPeriodic`. */
export type Periodic = {
  /** Runs the job now (also while the timer runs); a caller arriving during a run shares it. */
  run(): Promise<number>;
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>;
};

export type PeriodicOptions = {
  /** One run; resolves with how much it did. `stopped()` turns true once `stop()` was called. */
  job: (stopped: () => boolean) => Promise<number>;
  /** Pause between the end of one run and the start of the next. */
  intervalMs: number;
  logger: Logger;
  /** The log message of a failed run. */
  failure: string;
};

/**
 * Runs `job` every `intervalMs` until stopped, one run at a time per process. A failed run (its
 * store down) is logged and tried again on the next tick. The timer never keeps the process
 * alive on its own: the server does.
 */
export function startPeriodic({ job, intervalMs, logger, failure }: PeriodicOptions): Periodic {
  let running: Promise<number> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const isStopped = () => stopped;

  function run(): Promise<number> {
    running ??= job(isStopped).finally(() => {
      running = undefined;
    });
    return running;
  }

  function schedule() {
    if (stopped) return;
    timer = setTimeout(() => {
      run()
        .catch((error: unknown) => logger.warn({ err: error }, failure))
        .finally(schedule);
    }, intervalMs);
    timer.unref();
  }

  schedule();
  return {
    run,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running?.catch(() => {});
    },
  };
}

/**
 * Calls `batch(size)` until it answers fewer than `size` (nothing more to do) or `stopped()`,
 * and resolves with the sum of its answers: a large backlog is worked off in short transactions.
 */
export async function inBatches(
  batch: (size: number) => Promise<number>,
  size: number,
  stopped: () => boolean,
): Promise<number> {
  let total = 0;
  let done: number;
  do {
    done = await batch(size);
    total += done;
  } while (done === size && !stopped());
  return total;
}

export type AgeSweepOptions = Omit<PeriodicOptions, "job"> & {
  /** Handles up to `limit` of what is older than `before`; resolves with how many it handled. */
  sweep: (before: Date, limit: number) => Promise<number>;
  /** What is younger than this is left alone. */
  ageMs: number;
  /** `limit` of each `sweep` call: one short transaction each. */
  batch: number;
  /** Logs a run that handled something. */
  report: (count: number, before: Date) => void;
  /** The clock; tests move it. */
  now?: (() => Date) | undefined;
};

/**
 * A periodic job that works off, `batch` at a time, whatever has grown older than `ageMs`: each
 * run sweeps everything older than its start minus `ageMs`, and resolves with how much it swept.
 */
export function startAgeSweep(options: AgeSweepOptions): Periodic {
  const { sweep, ageMs, batch, report, now = () => new Date(), ...periodic } = options;
  return startPeriodic({
    ...periodic,
    async job(stopped) {
      const before = new Date(now().getTime() - ageMs);
      const count = await inBatches((size) => sweep(before, size), batch, stopped);
      if (count > 0) report(count, before);
      return count;
    },
  });
}
