import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";

/** The Prometheus metrics of one process: per-RPC count and latency, plus Node process metrics. */
export interface Metrics {
  readonly registry: Registry;
  readonly rpcTotal: Counter<"service" | "method" | "code">;
  readonly rpcSeconds: Histogram<"service" | "method" | "code">;
}

/**
 * Creates a registry with the default Node process metrics and the RPC metrics. Labels are bounded:
 * `method` is an RPC or route template, never a raw path with ids in it.
 */
export function createMetrics(prefix = "shop_"): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labelNames = ["service", "method", "code"] as const;
  return {
    registry,
    rpcTotal: new Counter({
      name: `${prefix}rpc_requests_total`,
      help: "RPCs handled, by service, method and final code.",
      labelNames,
      registers: [registry],
    }),
    rpcSeconds: new Histogram({
      name: `${prefix}rpc_duration_seconds`,
      help: "RPC handling time in seconds, by service, method and final code.",
      labelNames,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}
