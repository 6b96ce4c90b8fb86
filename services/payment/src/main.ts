import { loadServiceAuth } from "#shared/auth/service-auth";
import { loadConfig } from "#shared/config";
import { createKafka } from "#shared/kafka/client";
import { createEventProducer } from "#shared/kafka/producer";
import { createLogger } from "#shared/logger";
import { createMetrics } from "#shared/metrics";
import { createServiceTransport } from "#shared/rpc/client";
import { resilienceSettings } from "#shared/rpc/resilience-config";
import { startServiceServer } from "#shared/server/service-server";
import { onShutdownSignal } from "#shared/shutdown";
import { createPaymentApp } from "./app.js";
import { paymentConfigShape } from "./config.js";
import { connectPaymentDatabase, type PaymentDatabaseConfig } from "./db/connection.js";
import { kafkaPublish } from "./events/kafka-publish.js";
import { registerOutboxBacklog } from "./events/outbox-metrics.js";
import { startOutboxRelay } from "./events/outbox-relay.js";

const config = loadConfig(paymentConfigShape);
const auth = loadServiceAuth(config, "payment");
const logger = createLogger("payment", config.LOG_LEVEL);
const metrics = createMetrics();
const database: PaymentDatabaseConfig = {
  host: config.DB_HOST,
  port: config.DB_PORT,
  user: config.DB_USER,
  password: config.DB_PASSWORD,
  database: config.DB_NAME,
  ssl: config.DB_SSL_MODE === "required",
};
const pool = connectPaymentDatabase({ ...database, maxConnections: config.DB_POOL_MAX });
registerOutboxBacklog(metrics, pool);

// The relay publishes what checkouts commit; Kafka being down delays events, never checkouts.
const producer = createEventProducer(
  createKafka({ brokers: config.KAFKA_BROKERS, clientId: "payment" }, logger),
  metrics,
);
const relay = startOutboxRelay({ database, publish: kafkaPublish(producer), logger });

// GetBasket and GetProduct are reads, so trying them on another instance is safe; the stock
// calls are idempotent per reservation id, so they may be repeated as well.
const upstream = (service: string, urls: string[]) =>
  createServiceTransport({
    urls,
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
    retriesOnUnavailable: 2,
    unaryGrpcFastPath: config.GRPC_FAST_PATH,
    // Every call as the payment service: the sweeper and the relay have no user to act for.
    interceptors: [auth.credentials],
    service,
    resilience: resilienceSettings(config),
    metrics,
  });
const basket = upstream("basket", config.BASKET_SERVICE_URL);
const product = upstream("product", config.PRODUCT_SERVICE_URL);
const app = createPaymentApp({
  pool,
  basket,
  product,
  logger,
  ttlSeconds: config.PAYMENT_TTL_SECONDS,
  shopCurrency: config.SHOP_CURRENCY,
  sweepIntervalMs: config.EXPIRY_SWEEP_INTERVAL_MS,
  outboxWritten: () => relay.wake(),
});
const server = await startServiceServer({
  name: "payment",
  host: config.HOST,
  port: config.GRPC_PORT,
  logger,
  metrics,
  unaryGrpcFastPath: config.GRPC_FAST_PATH,
  verifier: auth.verifier,
  ...app,
});
app.sweeper.start();

onShutdownSignal(logger, async () => {
  await server.close();
  await app.sweeper.stop();
  // The relay finishes the batch in hand, so what was acknowledged is also marked.
  await relay.stop();
  await producer.disconnect().catch(() => {});
  basket.close();
  product.close();
  await pool.end();
});
