import { loadServiceAuth } from "#shared/auth/service-auth";
import { loadConfig } from "#shared/config";
import { createKafka } from "#shared/kafka/client";
import { createLogger } from "#shared/logger";
import { createMetrics } from "#shared/metrics";
import { createServiceTransport } from "#shared/rpc/client";
import { resilienceSettings } from "#shared/rpc/resilience-config";
import { startServiceServer } from "#shared/server/service-server";
import { onShutdownSignal } from "#shared/shutdown";
import { createBasketApp } from "./app.js";
import { basketConfigShape } from "./config.js";
import { consumeBasketEvents } from "./events/basket-cleared.js";
import { createBasketRepository } from "./redis/basket-repository.js";
import { connectRedis } from "./redis/connection.js";

const config = loadConfig(basketConfigShape);
const auth = loadServiceAuth(config, "basket");
const logger = createLogger("basket", config.LOG_LEVEL);
const metrics = createMetrics();
const redis = connectRedis({
  host: config.REDIS_HOST,
  port: config.REDIS_PORT,
  password: config.REDIS_PASSWORD,
  db: config.REDIS_DB,
});
let lastRedisError = "";
redis.on("error", (error: Error) => {
  // While Redis is down ioredis reports every reconnect attempt; one line per distinct error.
  if (error.message !== lastRedisError) logger.warn({ err: error }, "redis unreachable");
  lastRedisError = error.message;
});
redis.on("ready", () => {
  lastRedisError = "";
});

const products = createServiceTransport({
  urls: config.PRODUCT_SERVICE_URL,
  timeoutMs: config.PRODUCT_TIMEOUT_MS,
  // GetProduct is a read, so trying it again on another instance is safe.
  retriesOnUnavailable: 2,
  unaryGrpcFastPath: config.GRPC_FAST_PATH,
  interceptors: [auth.credentials],
  service: "product",
  resilience: resilienceSettings(config),
  metrics,
});
const server = await startServiceServer({
  name: "basket",
  host: config.HOST,
  port: config.GRPC_PORT,
  logger,
  metrics,
  unaryGrpcFastPath: config.GRPC_FAST_PATH,
  verifier: auth.verifier,
  ...createBasketApp({ redis, products, ttlSeconds: config.BASKET_TTL_SECONDS }),
});

// Not part of /ready: the API works without Kafka, and events wait there until it returns.
const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: "basket" }, logger);
const basketEvents = consumeBasketEvents({
  kafka,
  baskets: createBasketRepository(redis, { ttlSeconds: config.BASKET_TTL_SECONDS }),
  logger,
  metrics,
  groupPrefix: config.KAFKA_GROUP_PREFIX,
});

onShutdownSignal(logger, async () => {
  // First, so the event in flight is applied and committed while Redis is still open.
  await basketEvents.stop();
  await server.close();
  products.close();
  await redis.quit();
});
