import { writeFileSync } from "node:fs";
import http from "node:http";
import { setTimeout as delay } from "node:timers/promises";
import type { CheckoutClient } from "./checkout-client.js";
import type { Load, LoadWindow } from "./load.js";

/** How the event-latency row watches for a cleared basket. */
export interface EventSampling {
  /** Workers (of all) that watch their basket after every checkout; the others only load. */
  readonly workers: number;
  /** Pause between two GetBasket calls of one watch. */
  readonly pollMs: number;
  /** A basket not seen empty this long after its checkout is a failed sample. */
  readonly timeoutMs: number;
}

export interface CheckoutLoadOptions {
  readonly client: CheckoutClient;
  /** Concurrent workers, each a loop of checkouts on its own keep-alive connection. */
  readonly workers: number;
  /** Every user id starts with it; each iteration has its own user, hence its own basket. */
  readonly userPrefix: string;
  /**
   * Without: latencies are checkouts (create + process). With: latencies are samples of
   * ProcessPayment answered COMPLETED → the basket seen empty.
   */
  readonly sampling?: EventSampling;
  readonly log: (line: string) => void;
}

interface Tally {
  measuring: boolean;
  stopping: boolean;
  checkouts: number;
  failed: number;
  readonly latenciesUs: number[];
  readonly errors: Map<string, number>;
}

/**
 * Checkouts as a row's load: `workers` loops, each filling a fresh basket (not timed), then
 * timing create + process through the gateway as one checkout. A checkout that completes in the
 * measured window counts; req/s is those over the window's length. Workers finish the iteration
 * in hand after the window (a watch waits at most `timeoutMs`), which is not counted.
 */
export function checkoutLoad(options: CheckoutLoadOptions): Load {
  return async (window, onPhase) => {
    const tally: Tally = {
      measuring: false,
      stopping: false,
      checkouts: 0,
      failed: 0,
      latenciesUs: [],
      errors: new Map(),
    };
    const running = Array.from({ length: options.workers }, (_, index) =>
      work(index, options, tally),
    );
    await delay(window.warmUpSeconds * 1000);
    onPhase("start", process.pid);
    tally.measuring = true;
    const from = performance.now();
    await delay(window.durationSeconds * 1000);
    tally.measuring = false;
    onPhase("end", process.pid);
    const seconds = (performance.now() - from) / 1000;
    tally.stopping = true;
    await Promise.all(running);
    writeSummary(window, tally, seconds);
    for (const [message, count] of tally.errors) options.log(`  ${count}× ${message}`);
    return {
      requestsPerSecond: tally.checkouts / seconds,
      done: tally.checkouts,
      failed: tally.failed,
      latenciesUs: tally.latenciesUs,
    };
  };
}

async function work(index: number, options: CheckoutLoadOptions, tally: Tally): Promise<void> {
  const { client, sampling } = options;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const watches = sampling !== undefined && index < sampling.workers;
  try {
    for (let n = 0; !tally.stopping; n++) {
      const userId = `${options.userPrefix}-${index}-${n}`;
      let counted = false;
      try {
        await client.fill(userId);
        const started = performance.now();
        counted = tally.measuring;
        await client.checkout(agent, userId);
        const completed = performance.now();
        counted = tally.measuring;
        if (counted) tally.checkouts++;
        if (counted && !sampling) tally.latenciesUs.push((completed - started) * 1000);
        if (watches) await watch(client, userId, completed, sampling, counted ? tally : undefined);
      } catch (error) {
        if (counted || tally.measuring) fail(tally, error);
      }
    }
  } finally {
    agent.destroy();
  }
}

/** Polls `userId`'s basket until it is empty; records the latency, or a failure after the timeout. */
async function watch(
  client: CheckoutClient,
  userId: string,
  completed: number,
  sampling: EventSampling,
  tally: Tally | undefined,
): Promise<void> {
  while (!(await client.basketEmpty(userId))) {
    if (performance.now() - completed > sampling.timeoutMs) {
      if (tally) fail(tally, new Error(`basket not seen empty within ${sampling.timeoutMs} ms`));
      return;
    }
    await delay(sampling.pollMs);
  }
  tally?.latenciesUs.push((performance.now() - completed) * 1000);
}

function fail(tally: Tally, error: unknown): void {
  tally.failed++;
  const message = error instanceof Error ? error.message : String(error);
  tally.errors.set(message, (tally.errors.get(message) ?? 0) + 1);
}

/** The driver's own record, beside where h2load keeps its summary: counts, errors, latencies. */
function writeSummary(window: LoadWindow, tally: Tally, seconds: number): void {
  const errors = [...tally.errors].map(([message, count]) => `${count}\t${message}`);
  const lines = [
    `measured ${seconds.toFixed(3)} s: ${tally.checkouts} checkouts completed, ${tally.failed} failed`,
    ...errors,
  ];
  writeFileSync(window.logFile.replace(/\.tsv$/, ".out"), `${lines.join("\n")}\n`);
  writeFileSync(window.logFile, tally.latenciesUs.map((us) => `${us.toFixed(0)}\n`).join(""));
}
