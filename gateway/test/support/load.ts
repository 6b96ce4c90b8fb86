import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as pause, setImmediate as turn } from "node:timers/promises";
import { pino } from "pino";
import type { Metrics } from "#shared/metrics";
import { testGatewayVerifier } from "#shared-test/auth";
import { createGateway } from "../../src/app.js";
import type { UpstreamName } from "../../src/services.js";
import type { Upstream } from "../../src/upstream.js";

/** One answered REST request of a load run. */
export type Sample = { readonly status: number; readonly at: number };

/** Concurrent REST GETs in a loop until stopped. */
export interface Load {
  /** Requests answered so far. */
  readonly samples: readonly Sample[];
  /** Resolves once `count` more requests have been answered. */
  more(count: number): Promise<void>;
  /** Stops the loop and resolves once every request in flight was answered. */
  stop(): Promise<readonly Sample[]>;
}

/** Starts `concurrency` workers each sending `GET url` one after another. */
export function startLoad(url: string, concurrency: number): Load {
  const samples: Sample[] = [];
  let running = true;
  const worker = async () => {
    while (running) {
      let status: number;
      try {
        const res = await fetch(url);
        await res.arrayBuffer();
        status = res.status;
      } catch {
        status = 0; // the gateway itself failed: a failure as much as a 5xx
      }
      samples.push({ status, at: performance.now() });
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  return {
    samples,
    async more(count) {
      const target = samples.length + count;
      await until(() => samples.length >= target, `${count} more answers`);
    },
    async stop() {
      running = false;
      await Promise.all(workers);
      return samples;
    },
  };
}

/**
 * Resolves once `condition` holds, checked again after each turn of the event loop (and a short
 * pause, so a slow machine is not spun); fails after `boundMs` naming `what`. A bound, not a
 * sleep: the test goes on the moment the event happened.
 */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  boundMs = 20_000,
): Promise<void> {
  const started = performance.now();
  while (!(await condition())) {
    if (performance.now() - started > boundMs) throw new Error(`waited ${boundMs} ms for ${what}`);
    await turn();
    await pause(5);
  }
}

/** A gateway on an ephemeral port with the given upstreams (all of them) and metrics. */
export async function listenGateway(
  upstreams: Record<UpstreamName, Upstream>,
  metrics: Metrics,
): Promise<{ readonly base: string; close(): Promise<void> }> {
  // GATEWAY_TEST_LOG=info shows the access log, with each failure's cause, when a test fails.
  const level = process.env.GATEWAY_TEST_LOG ?? "silent";
  const gateway = createGateway({
    upstreams,
    logger: pino({ level }),
    metrics,
    verifier: testGatewayVerifier,
  });
  const server: Server = createServer({ keepAlive: true }, gateway);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The value of the metric line that starts with `prefix` in `/metrics` text, 0 if absent. */
export function metricValue(text: string, prefix: string): number {
  const line = text.split("\n").find((each) => each.startsWith(prefix));
  return line ? Number(line.split(" ").at(-1)) : 0;
}
