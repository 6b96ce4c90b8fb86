import { collectDefaultMetrics, type Metric, Registry } from "prom-client";

/** The Prometheus metrics of one process: per-RPC count and latency, plus Node process metrics. */
export interface Metrics {
  readonly registry: Registry;
  /**
   * The count and latency histogram of one RPC (or gateway route) ending with `code`, made on
   * first use and kept: `shop_rpc_requests_total` and `shop_rpc_duration_seconds`.
   */
  rpc(service: string, method: string, code: string): RpcSeries;
}

/** One (service, method, code) series of the RPC count and latency histogram. */
export interface RpcSeries {
  /** Counts one call that took `seconds`. */
  observe(seconds: number): void;
}

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Creates a registry with the default Node process metrics and the RPC metrics. Labels are bounded:
 * `method` is an RPC or route template, never a raw path with ids in it.
 */
export function createMetrics(prefix = "shop_"): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const rpc = new RpcMetrics();
  registry.registerMetric(
    rpc.counter(`${prefix}rpc_requests_total`, "RPCs handled, by service, method and final code."),
  );
  registry.registerMetric(
    rpc.histogram(
      `${prefix}rpc_duration_seconds`,
      "RPC handling time in seconds, by service, method and final code.",
    ),
  );
  return { registry, rpc: (service, method, code) => rpc.series(service, method, code) };
}

type Labels = { readonly service: string; readonly method: string; readonly code: string };

class Series implements RpcSeries {
  count = 0;
  sum = 0;
  /** Calls per bucket, not cumulative; a call above the last bound is in none. */
  readonly buckets = new Float64Array(BUCKETS.length);
  constructor(readonly labels: Labels) {}

  observe(seconds: number): void {
    this.count += 1;
    this.sum += seconds;
    for (let i = 0; i < BUCKETS.length; i++) {
      if (seconds <= (BUCKETS[i] as number)) {
        this.buckets[i] = (this.buckets[i] as number) + 1;
        return;
      }
    }
  }
}

/**
 * prom-client 15's Counter and Histogram with labels service, method and code, kept in plain
 * numbers per series: prom-client builds a key string of the label values on every `inc` and
 * `observe` (also through `labels()` children), with a few objects and a closure, once per RPC.
 * What a scrape reads is what prom-client's own `get()` returns for the same calls, series in the
 * order they first occurred, so the /metrics text is the same (metrics.test.ts).
 */
class RpcMetrics {
  readonly #byKey = new Map<string, Map<string, Map<string, Series>>>();
  readonly #all: Series[] = [];

  series(service: string, method: string, code: string): Series {
    let methods = this.#byKey.get(service);
    if (!methods) {
      methods = new Map();
      this.#byKey.set(service, methods);
    }
    let codes = methods.get(method);
    if (!codes) {
      codes = new Map();
      methods.set(method, codes);
    }
    let found = codes.get(code);
    if (!found) {
      found = new Series({ service, method, code });
      codes.set(code, found);
      this.#all.push(found);
    }
    return found;
  }

  /** prom-client's `reset()`: the series start again from none. */
  reset(): void {
    this.#byKey.clear();
    this.#all.length = 0;
  }

  counter(name: string, help: string) {
    return this.#view(name, help, "counter", () =>
      this.#all.map(({ count, labels }) => ({ value: count, labels })),
    );
  }

  histogram(name: string, help: string) {
    return this.#view(name, help, "histogram", () =>
      this.#all.flatMap(({ count, sum, buckets, labels }) => {
        let cumulative = 0;
        const bucketLines = BUCKETS.map((bound, i) => {
          cumulative += buckets[i] as number;
          return {
            value: cumulative,
            labels: { le: bound, ...labels },
            metricName: `${name}_bucket`,
          };
        });
        return [
          ...bucketLines,
          { value: count, labels: { le: "+Inf", ...labels }, metricName: `${name}_bucket` },
          { value: sum, labels: { ...labels }, metricName: `${name}_sum` },
          { value: count, labels: { ...labels }, metricName: `${name}_count` },
        ];
      }),
    );
  }

  /** What a prom-client registry reads of a metric: its name, what `get()` returns, `reset()`. */
  #view(name: string, help: string, type: string, values: () => object[]): Metric {
    const get = async () => ({ name, help, type, values: values(), aggregator: "sum" });
    const reset = () => this.reset();
    return { name, help, type, aggregator: "sum", get, reset } as unknown as Metric;
  }
}
