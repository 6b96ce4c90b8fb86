import { Counter, Gauge, type Registry } from "prom-client";
import type { BalancerEvents } from "./balancer.js";
import type { BreakerEvents, BreakerState } from "./breaker.js";

/**
 * The metrics of the clients of other services, labelled by `service` (the upstream's name) and
 * `instance` (its configured base URL): both come from configuration, so cardinality is bounded.
 */
export interface UpstreamMetrics {
  readonly breakerState: Gauge<"service">;
  readonly breakerRejections: Counter<"service">;
  readonly ejected: Gauge<"service" | "instance">;
  readonly ejections: Counter<"service" | "instance">;
  readonly readmissions: Counter<"service" | "instance">;
  readonly retries: Counter<"service" | "reason">;
}

const made = new WeakMap<Registry, UpstreamMetrics>();

/** The upstream metrics on `registry`, registered on first use (several clients share them). */
export function upstreamMetrics(registry: Registry, prefix = "shop_"): UpstreamMetrics {
  const existing = made.get(registry);
  if (existing) return existing;
  const registers = [registry];
  const metrics: UpstreamMetrics = {
    breakerState: new Gauge({
      name: `${prefix}upstream_breaker_state`,
      help: "Circuit breaker per upstream service: 0 closed, 1 half-open (probing), 2 open.",
      labelNames: ["service"],
      registers,
    }),
    breakerRejections: new Counter({
      name: `${prefix}upstream_breaker_rejections_total`,
      help: "Calls failed fast by an open circuit breaker, without reaching the service.",
      labelNames: ["service"],
      registers,
    }),
    ejected: new Gauge({
      name: `${prefix}upstream_instance_ejected`,
      help: "1 while an instance is ejected from balancing, else 0.",
      labelNames: ["service", "instance"],
      registers,
    }),
    ejections: new Counter({
      name: `${prefix}upstream_ejections_total`,
      help: "Instances taken out of balancing after connection failures, Unavailable or timeouts.",
      labelNames: ["service", "instance"],
      registers,
    }),
    readmissions: new Counter({
      name: `${prefix}upstream_readmissions_total`,
      help: "Ejected instances taken back after a successful probe or call.",
      labelNames: ["service", "instance"],
      registers,
    }),
    retries: new Counter({
      name: `${prefix}upstream_retries_total`,
      help: "Calls sent again to another instance: reason unsent (never reached a handler) or unavailable (a call declared safe to repeat).",
      labelNames: ["service", "reason"],
      registers,
    }),
  };
  made.set(registry, metrics);
  return metrics;
}

const STATE_VALUE: Record<BreakerState, number> = { closed: 0, "half-open": 1, open: 2 };

/** Balancer and breaker events of `service` as metrics; every instance starts at "admitted". */
export function upstreamEvents(
  metrics: UpstreamMetrics,
  service: string,
  urls: readonly string[],
): BalancerEvents & BreakerEvents & { onRetry(reason: "unsent" | "unavailable"): void } {
  metrics.breakerState.set({ service }, 0);
  for (const instance of urls) metrics.ejected.set({ service, instance }, 0);
  const rejections = metrics.breakerRejections.labels({ service });
  return {
    onState: (state) => metrics.breakerState.set({ service }, STATE_VALUE[state]),
    onRejected: () => rejections.inc(),
    onEjected(instance) {
      metrics.ejected.set({ service, instance }, 1);
      metrics.ejections.inc({ service, instance });
    },
    onReadmitted(instance) {
      metrics.ejected.set({ service, instance }, 0);
      metrics.readmissions.inc({ service, instance });
    },
    onRetry: (reason) => metrics.retries.inc({ service, reason }),
  };
}
