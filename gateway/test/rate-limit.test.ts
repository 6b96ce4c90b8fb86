import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { Redis } from "ioredis";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localRedis } from "#scripts/dev-stores";
import { parseConfig } from "#shared/config";
import { createMetrics, type Metrics } from "#shared/metrics";
import { TEST_AUTH_ENV } from "#shared-test/auth";
import { type PrivateServer, startPrivateRedis } from "#shared-test/private-servers";
import { startTcpProxy, type TcpProxy } from "#shared-test/tcp-proxy";
import { gatewayConfig } from "../src/config.js";
import {
  createRateLimiter,
  type RateLimiter,
  type RateLimitOptions,
  rateLimitRedisOptions,
} from "../src/rate-limit.js";
import { ANONYMOUS, type Reply, send, startGateway, type TestGateway } from "./support/harness.js";

// Counting tests wait long enough that a busy CI machine never turns a slow count into an
// uncounted "allow"; the stalled-Redis test sets a short timeout of its own.
const TIMEOUT_MS = 2_000;
const STALL_TIMEOUT_MS = 100;
const open: { close(): Promise<unknown> }[] = [];
afterAll(async () => {
  for (const thing of open.reverse()) await thing.close();
});

/** A client of its own, as each gateway replica has; on the test database unless `port` says. */
async function connect(port?: number, timeoutMs = TIMEOUT_MS): Promise<Redis> {
  const { host, port: shared, password, db } = localRedis("test");
  const redis = new Redis({
    host,
    port: port ?? shared,
    password,
    db: port === undefined ? db : 0,
    ...rateLimitRedisOptions(timeoutMs),
  });
  redis.on("error", () => {});
  open.push({ close: async () => redis.disconnect() });
  await ready(redis);
  return redis;
}

async function ready(redis: Redis): Promise<void> {
  if (redis.status !== "ready") await once(redis, "ready");
}

const smallLimits: RateLimitOptions["limits"] = {
  catalogue: { anonymous: 5, user: 8 },
  read: { anonymous: 5, user: 8 },
  write: { anonymous: 3, user: 6 },
  checkout: { anonymous: 2, user: 4 },
};

/** Small limits under a key prefix of this test's own, so tests never share a count. */
function limiter(
  redis: Redis,
  overrides: Partial<RateLimitOptions> = {},
  metrics: Metrics = createMetrics(),
): RateLimiter {
  const options: RateLimitOptions = {
    windowSeconds: 10,
    limits: smallLimits,
    whenStoreFails: "allow",
    keyPrefix: `ratelimit-test-${randomUUID()}`,
    ...overrides,
  };
  return createRateLimiter(redis, options, pino({ level: "silent" }), metrics);
}

async function gateway(rateLimiter?: RateLimiter, trusted: string[] = []): Promise<TestGateway> {
  const started = await startGateway({
    rateLimiter,
    options: { trustedProxies: new Set(trusted) },
  });
  open.push(started);
  return started;
}

// Anonymous unless `headers` sign in: the per-IP counts are the subject here.
const getProduct = (port: number, headers: Record<string, string> = {}, from?: string) =>
  send(port, "GET", "/products/1", undefined, { ...ANONYMOUS, ...headers }, from);

const limitHeaders = (reply: Reply) => ({
  limit: reply.headers["ratelimit-limit"],
  remaining: reply.headers["ratelimit-remaining"],
  reset: reply.headers["ratelimit-reset"],
});

describe("rate limiting shared by two gateways through one Redis", () => {
  it("allows exactly the limit across both, then answers 429 with Retry-After", async () => {
    // Each replica with its own limiter object and Redis connection, as separate processes have.
    const prefix = `ratelimit-test-${randomUUID()}`;
    const replicaA = await gateway(limiter(await connect(), { keyPrefix: prefix }));
    const replicaB = await gateway(limiter(await connect(), { keyPrefix: prefix }));
    const replies: Reply[] = [];
    for (let i = 0; i < 12; i++)
      replies.push(await getProduct(i % 2 ? replicaB.port : replicaA.port));
    expect(replies.map((reply) => reply.status)).toEqual([
      ...Array(5).fill(200),
      ...Array(7).fill(429),
    ]);
    expect(replies.slice(0, 5).map((reply) => limitHeaders(reply).remaining)).toEqual([
      "4",
      "3",
      "2",
      "1",
      "0",
    ]);
    for (const reply of replies) {
      expect(reply.headers["ratelimit-limit"]).toBe("5");
      const reset = Number(reply.headers["ratelimit-reset"]);
      expect(reset).toBeGreaterThanOrEqual(1);
      expect(reset).toBeLessThanOrEqual(10);
    }
    const refused = replies[11] as Reply;
    expect(refused.json).toMatchObject({ code: "resource_exhausted", details: [] });
    expect(refused.headers["content-type"]).toBe("application/json");
    expect(refused.headers["ratelimit-remaining"]).toBe("0");
    const retryAfter = Number(refused.headers["retry-after"]);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(10);
  });

  it("honours the limit exactly under a concurrent burst over both replicas", async () => {
    const prefix = `ratelimit-test-${randomUUID()}`;
    const replicaA = await gateway(limiter(await connect(), { keyPrefix: prefix }));
    const replicaB = await gateway(limiter(await connect(), { keyPrefix: prefix }));
    const replies = await Promise.all(
      Array.from({ length: 30 }, (_, i) => getProduct(i % 2 ? replicaB.port : replicaA.port)),
    );
    const statuses = replies.map((reply) => reply.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(25);
  });
});

describe("who is counted", () => {
  it("counts each client IP on its own", async () => {
    const edge = await gateway(limiter(await connect()));
    for (let i = 0; i < 5; i++)
      expect((await getProduct(edge.port, {}, "127.0.0.1")).status).toBe(200);
    expect((await getProduct(edge.port, {}, "127.0.0.1")).status).toBe(429);
    const other = await getProduct(edge.port, {}, "127.0.0.2");
    expect(other.status).toBe(200);
    expect(other.headers["ratelimit-remaining"]).toBe("4");
  });

  it("ignores X-Forwarded-For from an untrusted peer", async () => {
    const edge = await gateway(limiter(await connect()));
    for (let i = 0; i < 5; i++) await getProduct(edge.port, { "x-forwarded-for": `10.0.0.${i}` });
    const reply = await getProduct(edge.port, { "x-forwarded-for": "10.0.0.99" });
    expect(reply.status).toBe(429);
  });

  it("keys on the forwarded client behind a trusted proxy", async () => {
    const edge = await gateway(limiter(await connect()), ["127.0.0.1"]);
    for (let i = 0; i < 5; i++) await getProduct(edge.port, { "x-forwarded-for": "10.0.0.1" });
    expect((await getProduct(edge.port, { "x-forwarded-for": "10.0.0.1" })).status).toBe(429);
    // A client-written first hop does not help: the proxy appended the address it saw.
    const spoofed = await getProduct(edge.port, { "x-forwarded-for": "9.9.9.9, 10.0.0.1" });
    expect(spoofed.status).toBe(429);
    expect((await getProduct(edge.port, { "x-forwarded-for": "10.0.0.2" })).status).toBe(200);
  });

  it("gives a signed-in user a count and a limit of their own, apart from their IP", async () => {
    const limits = limiter(await connect());
    const ip = "192.0.2.1";
    for (let i = 0; i < 5; i++) await limits.admit({ ip }, "catalogue");
    expect((await limits.admit({ ip }, "catalogue")).kind).toBe("limited");
    const alice = await limits.admit({ ip, subject: "alice" }, "catalogue");
    expect(alice).toEqual({
      kind: "allowed",
      headers: expect.objectContaining({ "ratelimit-limit": "8", "ratelimit-remaining": "7" }),
    });
    for (let i = 0; i < 7; i++) await limits.admit({ ip, subject: "alice" }, "catalogue");
    expect((await limits.admit({ ip, subject: "alice" }, "catalogue")).kind).toBe("limited");
    expect((await limits.admit({ ip, subject: "bob" }, "catalogue")).kind).toBe("allowed");
  });

  it("counts each route class on its own", async () => {
    const limits = limiter(await connect());
    const ip = "192.0.2.2";
    for (let i = 0; i < 2; i++) await limits.admit({ ip }, "checkout");
    expect((await limits.admit({ ip }, "checkout")).kind).toBe("limited");
    expect((await limits.admit({ ip }, "write")).kind).toBe("allowed");
  });
});

describe("what a count costs Redis", () => {
  let redisServer: PrivateServer;
  let stats: Redis;
  beforeAll(async () => {
    // A server of its own, so the command statistics are this test's alone.
    redisServer = await startPrivateRedis();
    open.push(redisServer);
    stats = await connect(redisServer.port);
  });

  /** Script calls since `CONFIG RESETSTAT` (EVALSHA, and EVAL where the script was not loaded). */
  async function scriptCalls(): Promise<number> {
    const info = await stats.info("commandstats");
    const calls = (name: string) =>
      Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
    return calls("evalsha") + calls("eval");
  }

  it("counts the requests that arrive together with one script call, each exactly", async () => {
    const limits = limiter(await connect(redisServer.port));
    await limits.admit({ ip: "192.0.2.9" }, "catalogue"); // loads the script
    await stats.config("RESETSTAT");
    // Three clients at once, five over the limit each, mixed in one turn.
    const ips = ["192.0.2.10", "192.0.2.11", "192.0.2.12"];
    const admissions = await Promise.all(
      Array.from({ length: 30 }, (_, i) => limits.admit({ ip: ips[i % 3] as string }, "catalogue")),
    );
    expect(await scriptCalls()).toBe(1);
    for (const [n, ip] of ips.entries()) {
      const own = admissions.filter((_, i) => i % 3 === n);
      expect(own.map((admission) => admission.kind)).toEqual([
        ...Array(5).fill("allowed"),
        ...Array(5).fill("limited"),
      ]);
      const remaining = own.map((admission) =>
        admission.kind === "allowed" ? admission.headers["ratelimit-remaining"] : undefined,
      );
      expect(remaining.slice(0, 5), ip).toEqual(["4", "3", "2", "1", "0"]);
    }
  });

  it("splits a crowded turn into calls of at most 512 counts, still counting each once", async () => {
    const limits = limiter(await connect(redisServer.port), {
      limits: { ...smallLimits, catalogue: { anonymous: 1000, user: 1000 } },
    });
    await limits.admit({ ip: "192.0.2.14" }, "catalogue"); // loads the script
    await stats.config("RESETSTAT");
    const admissions = await Promise.all(
      Array.from({ length: 1100 }, () => limits.admit({ ip: "192.0.2.15" }, "catalogue")),
    );
    expect(await scriptCalls()).toBe(3);
    expect(admissions.filter((admission) => admission.kind === "allowed")).toHaveLength(1000);
  });

  it("asks Redis nothing more for a client over its limit until its window ends", async () => {
    const limits = limiter(await connect(redisServer.port), { windowSeconds: 1 });
    const ip = "192.0.2.20";
    for (let i = 0; i < 6; i++) await limits.admit({ ip }, "catalogue");
    await stats.config("RESETSTAT");
    for (let i = 0; i < 10; i++) {
      const admission = await limits.admit({ ip }, "catalogue");
      expect(admission).toMatchObject({ kind: "limited", retryAfter: 1 });
    }
    expect(await scriptCalls()).toBe(0);
    // A new window: counted in Redis again, from one.
    const deadline = performance.now() + 5_000;
    let next = await limits.admit({ ip }, "catalogue");
    while (next.kind === "limited" && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      next = await limits.admit({ ip }, "catalogue");
    }
    expect(next).toEqual({
      kind: "allowed",
      headers: expect.objectContaining({ "ratelimit-remaining": "4", "ratelimit-reset": "1" }),
    });
    expect(await scriptCalls()).toBeGreaterThan(0);
  });

  it("gives a count left without an expiry one, so it cannot block a client for ever", async () => {
    const prefix = `ratelimit-test-${randomUUID()}`;
    const limits = limiter(await connect(redisServer.port), { keyPrefix: prefix });
    const key = `${prefix}:catalogue:ip:192.0.2.30`;
    await stats.set(key, 2);
    const admission = await limits.admit({ ip: "192.0.2.30" }, "catalogue");
    expect(admission).toMatchObject({ kind: "allowed", headers: { "ratelimit-remaining": "2" } });
    const left = await stats.pttl(key);
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThanOrEqual(10_000);
  });
});

describe("when Redis fails", () => {
  let redisServer: PrivateServer;
  let proxy: TcpProxy;
  beforeAll(async () => {
    redisServer = await startPrivateRedis();
    open.push(redisServer);
  });

  it("allows and counts the failure by default, answers 503 in refuse mode, recovers", async () => {
    const metrics = createMetrics();
    const lenient = await gateway(limiter(await connect(redisServer.port), {}, metrics));
    const strictRedis = await connect(redisServer.port);
    const strict = await gateway(limiter(strictRedis, { whenStoreFails: "refuse" }));
    expect((await getProduct(lenient.port)).headers["ratelimit-limit"]).toBe("5");

    const closed = once(strictRedis, "close");
    await redisServer.stop();
    await closed;
    const allowed = await getProduct(lenient.port);
    expect(allowed.status).toBe(200);
    expect(limitHeaders(allowed)).toEqual({
      limit: undefined,
      remaining: undefined,
      reset: undefined,
    });
    const refused = await getProduct(strict.port);
    expect(refused.status).toBe(503);
    expect(refused.json).toMatchObject({ code: "unavailable" });
    const text = await metrics.registry.getSingleMetricAsString(
      "shop_gateway_rate_limit_store_failures_total",
    );
    expect(text).toMatch(/_total [1-9]/);

    await redisServer.start();
    await ready(strictRedis);
    expect((await getProduct(strict.port)).status).toBe(200);
  });

  it("does not let a stalled Redis hold a request longer than the command timeout", async () => {
    proxy = await startTcpProxy(redisServer.port);
    open.push(proxy);
    const redis = await connect(Number(new URL(proxy.url).port), STALL_TIMEOUT_MS);
    const edge = await gateway(limiter(redis));
    proxy.freeze();
    const started = performance.now();
    const reply = await getProduct(edge.port);
    const ms = performance.now() - started;
    expect(reply.status).toBe(200);
    expect(reply.headers["ratelimit-limit"]).toBeUndefined();
    // the timeout plus a generous margin for a busy machine; without one it would never answer
    expect(ms).toBeLessThan(STALL_TIMEOUT_MS + 2_000);
  });
});

describe("the off switch", () => {
  it("RATE_LIMIT=off turns limiting off; it is on by default", () => {
    expect(parseConfig(gatewayConfig, TEST_AUTH_ENV).RATE_LIMIT).toBe(true);
    expect(parseConfig(gatewayConfig, { ...TEST_AUTH_ENV, RATE_LIMIT: "off" }).RATE_LIMIT).toBe(
      false,
    );
  });

  it("a gateway without a limiter sends no limit headers and never refuses", async () => {
    const edge = await gateway();
    const replies = await Promise.all(Array.from({ length: 12 }, () => getProduct(edge.port)));
    expect(replies.every((reply) => reply.status === 200)).toBe(true);
    expect(replies[0]?.headers["ratelimit-limit"]).toBeUndefined();
  });

  it("reads the per-class limits as anonymous,user and rejects anything else", () => {
    const config = parseConfig(gatewayConfig, { ...TEST_AUTH_ENV, RATE_LIMIT_WRITE: "7,70" });
    expect(config.RATE_LIMIT_WRITE).toEqual({ anonymous: 7, user: 70 });
    expect(config.RATE_LIMIT_CATALOGUE).toEqual({ anonymous: 100, user: 1000 });
    expect(() => parseConfig(gatewayConfig, { ...TEST_AUTH_ENV, RATE_LIMIT_WRITE: "7" })).toThrow(
      /RATE_LIMIT_WRITE/,
    );
  });
});
