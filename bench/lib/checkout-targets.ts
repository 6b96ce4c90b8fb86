import { writeFileSync } from "node:fs";
import http from "node:http";
import { setTimeout as delay } from "node:timers/promises";
import { type CheckoutClient, createCheckoutClient } from "./checkout-client.js";
import { checkoutLoad, type EventSampling } from "./checkout-driver.js";
import type { Load } from "./load.js";
import type { Servers } from "./servers.js";
import type { Target } from "./targets.js";

/** The event-latency row's watch: 4 workers poll every 5 ms, for at most 5 s per checkout. */
const SAMPLING: EventSampling = { workers: 4, pollMs: 5, timeoutMs: 5000 };

/**
 * Before the first event, the basket service's consumer may still be joining its group, or be
 * catching up with events of earlier runs; the one checkout that verifies the row waits longer.
 */
const FIRST_EVENT_TIMEOUT_MS = 20_000;

export interface CheckoutTargetOptions {
  readonly productIds: readonly bigint[];
  readonly concurrency: number;
  /** Every user id of this run starts with it. */
  readonly userPrefix: string;
  readonly log: (line: string) => void;
}

/**
 * The `checkout` and `event-latency` rows, verified first by one real checkout: one that does
 * not end COMPLETED stops the bench. Neither row exists without the gateway, the payment, the
 * product and the basket service.
 */
export async function checkoutTargets(
  servers: Servers,
  options: CheckoutTargetOptions,
): Promise<Target[]> {
  const { gateway } = servers;
  const { payment, basket, product, notification } = servers.services;
  // The notification service consumes every event of a checkout: its CPU is the checkout's too.
  const consumers = notification ? [notification.child] : [];
  if (!gateway || !payment || !basket || !product) return [];
  const { concurrency: c, userPrefix, log } = options;
  const client = createCheckoutClient({
    gatewayUrl: gateway.url,
    basketUrl: basket.url,
    productIds: options.productIds,
  });
  await checkoutOnce(client, `${userPrefix}-verify`);
  const lines = options.productIds.length;
  return [
    {
      key: "checkout",
      label: `checkout via gateway: POST /payments + /process, ${lines}-line baskets`,
      load: checkoutLoad({ client, workers: c, userPrefix: `${userPrefix}-co`, log }),
      processes: [gateway.child, payment.child, product.child, basket.child, ...consumers],
    },
    {
      key: "event-latency",
      label: `event latency: COMPLETED → basket seen empty (polled every ${SAMPLING.pollMs} ms)`,
      load: eventLatencyLoad(client, { ...options, userPrefix: `${userPrefix}-ev` }),
      processes: [payment.child, basket.child, gateway.child, product.child, ...consumers],
    },
  ];
}

/**
 * Checkouts of which SAMPLING.workers watch their baskets clear. First, once per run, one
 * checkout whose basket must clear within FIRST_EVENT_TIMEOUT_MS: when it does not (no
 * BasketCleared consumer yet), every round of the row is n/a with one failure, rather than a
 * timeout per sample.
 */
function eventLatencyLoad(client: CheckoutClient, options: CheckoutTargetOptions): Load {
  const { userPrefix, log } = options;
  const sampled = checkoutLoad({
    client,
    workers: options.concurrency,
    userPrefix,
    sampling: SAMPLING,
    log,
  });
  let delivered: Promise<number | undefined> | undefined;
  return async (window, onPhase) => {
    delivered ??= checkoutOnce(client, `${userPrefix}-first`).then(async () => {
      const ms = await clearedWithinMs(client, `${userPrefix}-first`);
      if (ms !== undefined) log(`  the first checkout's basket was cleared after ${ms} ms`);
      return ms;
    });
    if ((await delivered) !== undefined) return sampled(window, onPhase);
    const why = `basket not cleared within ${FIRST_EVENT_TIMEOUT_MS / 1000} s`;
    log(`  ${why}: is a BasketCleared consumer running in the basket service?`);
    onPhase("start", process.pid);
    onPhase("end", process.pid);
    writeFileSync(window.logFile.replace(/\.tsv$/, ".out"), `${why}\n`);
    const note = "n/a (no consumer?)";
    return { requestsPerSecond: Number.NaN, done: 0, failed: 1, latenciesUs: [], note };
  };
}

/** One checkout that must end COMPLETED (else it throws), with its basket filled first. */
async function checkoutOnce(client: CheckoutClient, userId: string): Promise<void> {
  const agent = new http.Agent({ keepAlive: false });
  await client.fill(userId);
  await client.checkout(agent, userId);
}

/** Milliseconds until `userId`'s basket is seen empty; undefined when it is not in time. */
async function clearedWithinMs(
  client: CheckoutClient,
  userId: string,
): Promise<number | undefined> {
  const from = performance.now();
  while (performance.now() - from < FIRST_EVENT_TIMEOUT_MS) {
    if (await client.basketEmpty(userId)) return Math.round(performance.now() - from);
    await delay(SAMPLING.pollMs);
  }
  return undefined;
}
