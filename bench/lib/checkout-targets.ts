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
 * The `checkout` and `event-latency` rows, each verified first by one real checkout: a checkout
 * that does not end COMPLETED stops the bench. When that checkout's basket is not cleared in
 * time (no BasketCleared consumer yet), the event-latency row is kept as n/a with one failure.
 * Neither row exists without the gateway, the payment and the basket service.
 */
export async function checkoutTargets(
  servers: Servers,
  options: CheckoutTargetOptions,
): Promise<Target[]> {
  const { gateway } = servers;
  const { payment, basket, product } = servers.services;
  if (!gateway || !payment || !basket || !product) return [];
  const { concurrency: c, userPrefix, log } = options;
  const client = createCheckoutClient({
    gatewayUrl: gateway.url,
    basketUrl: basket.url,
    productIds: options.productIds,
  });
  const verifyUser = `${userPrefix}-verify`;
  await verifyCheckout(client, verifyUser);
  const processes = [gateway.child, payment.child, product.child, basket.child];
  const lines = options.productIds.length;
  const checkout: Target = {
    key: "checkout",
    label: `checkout via gateway: POST /payments + /process, ${lines}-line baskets`,
    load: checkoutLoad({ client, workers: c, userPrefix: `${userPrefix}-co`, log }),
    processes,
  };
  const event = {
    key: "event-latency",
    label: `event latency: COMPLETED → basket seen empty (±${SAMPLING.pollMs} ms)`,
    processes: [payment.child, basket.child, gateway.child, product.child],
  };
  const clearedInMs = await firstEventMs(client, verifyUser);
  if (clearedInMs === undefined) {
    const why = `basket not cleared within ${FIRST_EVENT_TIMEOUT_MS / 1000} s`;
    log(`event-latency: ${why}; is a BasketCleared consumer running in the basket service?`);
    return [checkout, { ...event, label: `${event.label}: n/a (no consumer?)`, load: failed(why) }];
  }
  log(`event-latency: the verifying checkout's basket was cleared after ${clearedInMs} ms`);
  const load = checkoutLoad({
    client,
    workers: c,
    userPrefix: `${userPrefix}-ev`,
    sampling: SAMPLING,
    log,
  });
  return [checkout, { ...event, load }];
}

/** A row that cannot be measured: no numbers and one failure, `why` in its `.out` file. */
function failed(why: string): Load {
  return async (window, onPhase) => {
    onPhase("start", process.pid);
    onPhase("end", process.pid);
    writeFileSync(window.logFile.replace(/\.tsv$/, ".out"), `${why}\n`);
    return { requestsPerSecond: Number.NaN, done: 0, failed: 1, latenciesUs: [] };
  };
}

async function verifyCheckout(client: CheckoutClient, userId: string): Promise<void> {
  const agent = new http.Agent({ keepAlive: false });
  await client.fill(userId);
  await client.checkout(agent, userId);
}

/** Milliseconds until the verifying checkout's basket is seen empty; undefined when it never is. */
async function firstEventMs(client: CheckoutClient, userId: string): Promise<number | undefined> {
  const from = performance.now();
  while (performance.now() - from < FIRST_EVENT_TIMEOUT_MS) {
    if (await client.basketEmpty(userId)) return Math.round(performance.now() - from);
    await delay(SAMPLING.pollMs);
  }
  return undefined;
}
