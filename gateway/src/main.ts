import { createServer, type Server } from "node:http";
import { Redis } from "ioredis";
import { type ServiceName, services, serviceUrlVariable } from "#services";
import { loadConfig } from "#shared/config";
import { createLogger } from "#shared/logger";
import { createMetrics } from "#shared/metrics";
import { createGateway } from "./app.js";
import { answerClientError } from "./client-error.js";
import { gatewayConfig } from "./config.js";
import { createRateLimiter, rateLimitRedisOptions } from "./rate-limit.js";
import { createGrpcUpstream, type Upstream } from "./upstream.js";

const config = loadConfig(gatewayConfig);
const logger = createLogger("gateway", config.LOG_LEVEL);
const timeoutMs = config.UPSTREAM_TIMEOUT_MS;
const unaryGrpcFastPath = config.GRPC_FAST_PATH;
const upstreamUrls = Object.fromEntries(
  services.map(({ name }) => [name, config[serviceUrlVariable(name)]]),
) as Record<ServiceName, string[]>;
const upstreams = Object.fromEntries(
  services.map(({ name }) => [
    name,
    createGrpcUpstream(upstreamUrls[name], {
      timeoutMs,
      unaryGrpcFastPath,
      name: `${name} service`,
    }),
  ]),
) as Record<ServiceName, Upstream>;
const metrics = createMetrics();
const limitRedis = config.RATE_LIMIT
  ? new Redis({
      host: config.REDIS_HOST,
      port: config.REDIS_PORT,
      // an empty REDIS_PASSWORD means "no AUTH", not "AUTH with the empty string"
      password: config.REDIS_PASSWORD || undefined,
      db: config.REDIS_DB,
      ...rateLimitRedisOptions(config.RATE_LIMIT_REDIS_TIMEOUT_MS),
    })
  : undefined;
// Failures are counted and logged (throttled) by the limiter; ioredis would print every one.
limitRedis?.on("error", () => {});
const rateLimiter =
  limitRedis &&
  createRateLimiter(
    limitRedis,
    {
      windowSeconds: config.RATE_LIMIT_WINDOW_SECONDS,
      limits: {
        catalogue: config.RATE_LIMIT_CATALOGUE,
        read: config.RATE_LIMIT_READ,
        write: config.RATE_LIMIT_WRITE,
        checkout: config.RATE_LIMIT_CHECKOUT,
      },
      whenStoreFails: config.RATE_LIMIT_WHEN_REDIS_FAILS,
      keyPrefix: "ratelimit",
    },
    logger,
    metrics,
  );
const gateway = createGateway({
  upstreams,
  logger,
  metrics,
  rateLimiter,
  options: { maxBodyBytes: config.MAX_BODY_BYTES, trustedProxies: config.TRUSTED_PROXIES },
});

const ports = [...new Set([config.PORT, ...config.EXTRA_PORTS])];
const servers = await Promise.all(ports.map((port) => listen(port))).catch((error: Error) => {
  logger.fatal(`cannot listen: ${error.message}`);
  process.exit(1);
});
logger.info(
  {
    host: config.HOST,
    ports,
    rateLimit: config.RATE_LIMIT ? config.RATE_LIMIT_WHEN_REDIS_FAILS : "off",
    ...upstreamUrls,
  },
  "gateway listening",
);

function listen(port: number): Promise<Server> {
  // HTTP keep-alive is node's default; keepAlive here adds TCP keep-alive probes on idle sockets.
  const server = createServer({ keepAlive: true }, gateway);
  // Longer than typical load-balancer idle timeouts, so they close first and never hit a reset.
  server.keepAliveTimeout = 65_000;
  server.on("clientError", answerClientError);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, config.HOST, () => resolve(server));
  });
}

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, "gateway stopping");
  // Past the grace period, cut the connections that still hold requests.
  const force = setTimeout(() => {
    for (const server of servers) server.closeAllConnections();
  }, config.SHUTDOWN_GRACE_MS);
  force.unref();
  await Promise.all(servers.map((server) => closeServer(server)));
  await Promise.all(Object.values(upstreams).map((upstream) => upstream.close()));
  limitRedis?.disconnect();
  logger.info("gateway stopped");
  process.exit(0);
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    // close() also waits for keep-alive sockets that go idle after their in-flight request;
    // sweeping idle sockets lets the drain end as soon as the last request does.
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    server.close(() => {
      clearInterval(sweep);
      resolve();
    });
    server.closeIdleConnections();
  });
}

process.once("SIGTERM", () => void shutdown("SIGTERM"));
process.once("SIGINT", () => void shutdown("SIGINT"));
