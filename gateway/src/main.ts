import { Redis } from "ioredis";
import { type ServiceName, services, serviceUrlVariable } from "#services";
import { authSettings } from "#shared/auth/config";
import { createVerifier } from "#shared/auth/verifier";
import { exitOnConfigError, loadConfig } from "#shared/config";
import { createLogger } from "#shared/logger";
import { createMetrics } from "#shared/metrics";
import { resilienceSettings } from "#shared/rpc/resilience-config";
import { createGateway } from "./app.js";
import { gatewayConfig } from "./config.js";
import { balancedInstances } from "./proxy/instances.js";
import { createRateLimiter, rateLimitRedisOptions } from "./rate-limit.js";
import { type GatewayServer, listenGateway } from "./server.js";
import { loadStaticFiles } from "./static-files.js";
import { devSignInOf, storefrontRoot } from "./storefront.js";
import { createGrpcUpstream, type GrpcUpstream } from "./upstream.js";

const config = loadConfig(gatewayConfig);
const auth = exitOnConfigError(() => authSettings(config));
const verifier = createVerifier(auth);
const logger = createLogger("gateway", config.LOG_LEVEL);
const devSignIn = exitOnConfigError(() => devSignInOf(config, auth));
if (devSignIn) logger.warn("DEV_SIGN_IN is on: POST /dev/token signs in anyone as any user");
const webRoot = exitOnConfigError(() => storefrontRoot(config.WEB_ROOT, logger));
const web = webRoot === undefined ? undefined : await loadStaticFiles(webRoot);
const metrics = createMetrics();
const resilience = resilienceSettings(config);
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
      service: name,
      resilience,
      metrics,
    }),
  ]),
) as Record<ServiceName, GrpcUpstream>;
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
  verifier,
  instances: balancedInstances(upstreams),
  web,
  devSignIn,
  options: {
    maxBodyBytes: config.MAX_BODY_BYTES,
    trustedProxies: config.TRUSTED_PROXIES,
    allowedOrigins: config.CORS_ALLOWED_ORIGINS,
    proxyTimeoutMs: config.UPSTREAM_TIMEOUT_MS,
  },
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

function listen(port: number): Promise<GatewayServer> {
  return listenGateway(gateway, port, config.HOST);
}

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, "gateway stopping");
  await Promise.all(servers.map((server) => server.close(config.SHUTDOWN_GRACE_MS)));
  gateway.close();
  await Promise.all(Object.values(upstreams).map((upstream) => upstream.close()));
  limitRedis?.disconnect();
  logger.info("gateway stopped");
  process.exit(0);
}

process.once("SIGTERM", () => void shutdown("SIGTERM"));
process.once("SIGINT", () => void shutdown("SIGINT"));
