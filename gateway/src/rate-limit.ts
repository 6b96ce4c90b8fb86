import { Code } from "@connectrpc/connect";
import type { Redis } from "ioredis";
import { Counter } from "prom-client";
import type { Logger } from "#shared/logger";
import type { Metrics } from "#shared/metrics";
import { HttpError } from "./errors.js";
import type { RouteClass } from "./route-class.js";
import { createWindowCounter, type WindowCount } from "./window-counts.js";

/** Requests per window of one route class: for an anonymous client (per IP) and a user. */
export interface ClassLimit {
  readonly anonymous: number;
  readonly user: number;
}

export interface RateLimitOptions {
  /** Length of the fixed window every limit counts in. */
  readonly windowSeconds: number;
  readonly limits: Readonly<Record<RouteClass, ClassLimit>>;
  /**
   * When Redis fails or does not answer in time: "allow" lets the request through without
   * RateLimit headers (and logs, at most once per {@link LOG_EVERY_MS}); "refuse" answers 503.
   */
  readonly whenStoreFails: "allow" | "refuse";
  /** Prefix of every Redis key, so the limiter can share a database with other data. */
  readonly keyPrefix: string;
}

/** Who is calling: the verified token subject once authentication has set it, and the IP. */
export interface Caller {
  readonly subject?: string | undefined;
  readonly ip: string;
}

/** `RateLimit-*` (IETF draft: Reset in seconds) and, when refused, `Retry-After`. */
export type RateLimitHeaders = Readonly<Record<string, string>>;

/**
 * The verdict on one request. `allowed` and `limited` carry the headers to answer with;
 * `unchecked` (Redis failed, mode "allow") carries none; `unavailable` is mode "refuse".
 */
export type Admission =
  | { readonly kind: "allowed"; readonly headers: RateLimitHeaders }
  | { readonly kind: "limited"; readonly headers: RateLimitHeaders; readonly retryAfter: number }
  | { readonly kind: "unchecked" }
  | { readonly kind: "unavailable" };

/** The admission step every gateway path (REST, and the Connect/gRPC proxy) goes through. */
export interface RateLimiter {
  /** Counts one request of `caller` in `routeClass` and says whether it may proceed. Never throws. */
  admit(caller: Caller, routeClass: RouteClass): Promise<Admission>;
}

const LOG_EVERY_MS = 10_000;
/** Keys remembered as over their limit at most; past that the memory starts again. */
const MAX_BLOCKED = 10_000;

/**
 * A limiter counting in Redis (window-counts.ts), so every gateway replica shares the counts:
 * fixed windows, the counts of one event-loop turn in one atomic script call. A key over its
 * limit is also remembered in this process until its window ends, so a client hammering past its
 * limit costs no further Redis calls here.
 *
 * `redis` must fail fast rather than queue: see {@link rateLimitRedisOptions}.
 */
export function createRateLimiter(
  redis: Redis,
  options: RateLimitOptions,
  logger: Logger,
  metrics: Metrics,
): RateLimiter {
  const count = createWindowCounter(redis, options.windowSeconds * 1000);
  const blocked = new Map<string, number>();
  const counters = rateLimitMetrics(metrics);
  const logFailure = throttledLog(logger);
  const limited = (routeClass: RouteClass, limit: number, msLeft: number): Admission => {
    counters.rejected.labels(routeClass).inc();
    const retryAfter = secondsOf(msLeft);
    const headers = { ...headersOf(limit, 0, msLeft), "retry-after": `${retryAfter}` };
    return { kind: "limited", headers, retryAfter };
  };
  return {
    async admit(caller, routeClass) {
      const { subject, ip } = caller;
      const limit = options.limits[routeClass][subject === undefined ? "anonymous" : "user"];
      const who = subject === undefined ? `ip:${ip}` : `user:${subject}`;
      const key = `${options.keyPrefix}:${routeClass}:${who}`;
      const until = blocked.get(key);
      if (until !== undefined) {
        const msLeft = until - performance.now();
        if (msLeft > 0) return limited(routeClass, limit, msLeft);
        blocked.delete(key);
      }
      let counted: WindowCount;
      try {
        counted = await count(key);
      } catch (error) {
        counters.storeFailures.inc();
        logFailure(error);
        return { kind: options.whenStoreFails === "allow" ? "unchecked" : "unavailable" };
      }
      if (counted.count <= limit) {
        const headers = headersOf(limit, limit - counted.count, counted.msLeft);
        return { kind: "allowed", headers };
      }
      if (blocked.size >= MAX_BLOCKED) blocked.clear();
      blocked.set(key, performance.now() + counted.msLeft);
      return limited(routeClass, limit, counted.msLeft);
    },
  };
}

/**
 * The error to answer a refused admission with (429 `resource_exhausted` with `Retry-After`, or
 * 503 `unavailable`), or undefined when the request may proceed. Other protocols map the same
 * Connect code their own way.
 */
export function admissionError(admission: Admission): HttpError | undefined {
  if (admission.kind === "limited") {
    const message = `rate limit exceeded: retry after ${admission.retryAfter} s`;
    return new HttpError(429, Code.ResourceExhausted, message, admission.headers);
  }
  if (admission.kind === "unavailable") {
    const message = "the rate limiter's store is unavailable; try again shortly";
    return new HttpError(503, Code.Unavailable, message, { "retry-after": "1" });
  }
  return undefined;
}

/**
 * ioredis settings for the limiter's client: no offline queue and a short command timeout, so a
 * Redis that is down or stalled costs a request at most `timeoutMs`, never a hang. No
 * auto-pipelining: the counter already sends one command per event-loop turn.
 */
export function rateLimitRedisOptions(timeoutMs: number) {
  return {
    connectionName: "gateway-rate-limit",
    enableOfflineQueue: false,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    connectTimeout: 2_000,
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 1_000),
  } as const;
}

function headersOf(limit: number, remaining: number, msLeft: number): Record<string, string> {
  return {
    "ratelimit-limit": `${limit}`,
    "ratelimit-remaining": `${remaining}`,
    "ratelimit-reset": `${secondsOf(msLeft)}`,
  };
}

/** Whole seconds, rounded up and at least 1, so a client that waits that long finds a new window. */
function secondsOf(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

function rateLimitMetrics(metrics: Metrics) {
  return {
    rejected: new Counter({
      name: "shop_gateway_rate_limited_total",
      help: "Requests refused with 429 by the gateway's rate limiter, by route class.",
      labelNames: ["route_class"] as const,
      registers: [metrics.registry],
    }),
    storeFailures: new Counter({
      name: "shop_gateway_rate_limit_store_failures_total",
      help: "Rate-limit checks that failed or timed out in Redis (then allowed or refused by config).",
      registers: [metrics.registry],
    }),
  };
}

/** Logs a Redis failure at once, then at most once per LOG_EVERY_MS with the count in between. */
function throttledLog(logger: Logger): (error: unknown) => void {
  let lastLogged = Number.NEGATIVE_INFINITY;
  let suppressed = 0;
  return (error) => {
    const now = performance.now();
    if (now - lastLogged < LOG_EVERY_MS) {
      suppressed++;
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    logger.warn({ error: message, suppressed }, "rate limiter: Redis check failed");
    lastLogged = now;
    suppressed = 0;
  };
}
