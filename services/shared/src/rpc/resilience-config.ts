import { z } from "zod";
import { positiveInt } from "../config.js";
import type { EjectionSettings } from "./balancer.js";
import type { BreakerSettings } from "./breaker.js";

/** Ejection of failing instances and the breaker per upstream, as every client takes them. */
export interface ResilienceSettings {
  readonly ejection: EjectionSettings;
  readonly breaker: BreakerSettings;
}

/** The defaults of {@link resilienceConfigShape}. */
export const defaultResilience: ResilienceSettings = {
  ejection: { afterFailures: 3, baseMs: 1000, maxMs: 30_000 },
  breaker: { windowMs: 10_000, minimumCalls: 20, failureRatio: 0.5, openMs: 5000 },
};

const { ejection, breaker } = defaultResilience;

/**
 * The environment of every process that calls other services (gateway, basket, payment): how
 * instances are ejected and probed, and when the breaker of a service opens.
 */
export const resilienceConfigShape = {
  UPSTREAM_EJECT_AFTER_FAILURES: positiveInt(ejection.afterFailures),
  UPSTREAM_EJECT_BASE_MS: positiveInt(ejection.baseMs),
  UPSTREAM_EJECT_MAX_MS: positiveInt(ejection.maxMs),
  UPSTREAM_BREAKER_WINDOW_MS: positiveInt(breaker.windowMs),
  UPSTREAM_BREAKER_MIN_CALLS: positiveInt(breaker.minimumCalls),
  UPSTREAM_BREAKER_FAILURE_PERCENT: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .default(breaker.failureRatio * 100),
  UPSTREAM_BREAKER_OPEN_MS: positiveInt(breaker.openMs),
};

type ResilienceConfig = z.infer<z.ZodObject<typeof resilienceConfigShape>>;

/** The settings a parsed configuration names. */
export function resilienceSettings(config: ResilienceConfig): ResilienceSettings {
  return {
    ejection: {
      afterFailures: config.UPSTREAM_EJECT_AFTER_FAILURES,
      baseMs: config.UPSTREAM_EJECT_BASE_MS,
      maxMs: Math.max(config.UPSTREAM_EJECT_MAX_MS, config.UPSTREAM_EJECT_BASE_MS),
    },
    breaker: {
      windowMs: config.UPSTREAM_BREAKER_WINDOW_MS,
      minimumCalls: config.UPSTREAM_BREAKER_MIN_CALLS,
      failureRatio: config.UPSTREAM_BREAKER_FAILURE_PERCENT / 100,
      openMs: config.UPSTREAM_BREAKER_OPEN_MS,
    },
  };
}
