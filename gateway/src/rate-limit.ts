import { Code } from "@connectrpc/connect";
import type { Redis } from "ioredis";
import { Counter } from "prom-client";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { Logger } from "#shared/logger";
import type { Metrics } from "#shared/metrics";
import { HttpError } from "./errors.js";
import { type RouteClass, routeClasses } from "./route-class.js";

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

/**
 * A limiter counting in Redis, so every gateway replica shares the counts. Each count is one
 * round trip: rate-limiter-flexible's Lua script (SET NX EX + INCRBY + PTTL, atomic, run by
 * EVALSHA). A key over its limit is also remembered in this process until its window ends, so a
 * client hammering past its limit costs no further Redis calls here.
 *
 * `redis` must fail fast rather than queue: see {@link rateLimitRedisOptions}.
 */
export function createRateLimiter(
  redis: Redis,
  options: RateLimitOptions,
  logger: Logger,
  metrics: Metrics,
): RateLimiter {
  const limiters = new Map<string, RateLimiterRedis>();
  for (const routeClass of routeClasses) {
    for (const who of ["anonymous", "user"] as const) {
      const points = options.limits[routeClass][who];
      const limiter = new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `${options.keyPrefix}:${routeClass}:${who === "user" ? "user" : "ip"}`,
        points,
        duration: options.windowSeconds,
        inMemoryBlockOnConsumed: points + 1,
        rejectIfRedisNotReady: true,
      });
      limiters.set(`${routeClass}:${who}`, limiter);
    }
  }
  const counters = rateLimitMetrics(metrics);
  const logFailure = throttledLog(logger);
  return {
    async admit(caller, routeClass) {
      const who = caller.subject === undefined ? "anonymous" : "user";
      const limiter = limiters.get(`${routeClass}:${who}`) as RateLimiterRedis;
      const key = caller.subject ?? caller.ip;
      try {
        const res = await limiter.consume(key);
        return { kind: "allowed", headers: headersOf(limiter.points, res) };
      } catch (thrown) {
        if (thrown instanceof RateLimiterRes) {
          counters.rejected.labels(routeClass).inc();
          const retryAfter = secondsOf(thrown.msBeforeNext);
          const headers = { ...headersOf(limiter.points, thrown), "retry-after": `${retryAfter}` };
          return { kind: "limited", headers, retryAfter };
        }
        counters.storeFailures.inc();
        logFailure(thrown);
        return { kind: options.whenStoreFails === "allow" ? "unchecked" : "unavailable" };
      }
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
 * Redis that is down or stalled costs a request at most `timeoutMs`, never a hang. Auto-pipelining
 * sends the counts of all requests that arrive in one event-loop turn as one write (and Redis
 * answers them in one read): under load that saves most of a write and a read system call per
 * request on both ends, while each count stays its own atomic script.
 */
export function rateLimitRedisOptions(timeoutMs: number) {
  return {
    connectionName: "gateway-rate-limit",
    enableAutoPipelining: true,
    enableOfflineQueue: false,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    connectTimeout: 2_000,
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 1_000),
  } as const;
}

function headersOf(limit: number, res: RateLimiterRes): Record<string, string> {
  return {
    "ratelimit-limit": `${limit}`,
    "ratelimit-remaining": `${res.remainingPoints}`,
    "ratelimit-reset": `${secondsOf(res.msBeforeNext)}`,
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
