import { loadConfig } from "#shared/config";
import { createLogger } from "#shared/logger";
import { createMetrics } from "#shared/metrics";
import { createServiceTransport } from "#shared/rpc/client";
import { startServiceServer } from "#shared/server/service-server";
import { onShutdownSignal } from "#shared/shutdown";
import { createPaymentApp } from "./app.js";
import { paymentConfigShape } from "./config.js";
import { connectPaymentDatabase } from "./db/connection.js";

const config = loadConfig(paymentConfigShape);
const logger = createLogger("payment", config.LOG_LEVEL);
const pool = connectPaymentDatabase({
  host: config.DB_HOST,
  port: config.DB_PORT,
  user: config.DB_USER,
  password: config.DB_PASSWORD,
  database: config.DB_NAME,
  ssl: config.DB_SSL_MODE === "required",
  maxConnections: config.DB_POOL_MAX,
});
// GetBasket and GetProduct are reads, so trying them on another instance is safe; the stock
// calls are idempotent per reservation id, so they may be repeated as well.
const basket = createServiceTransport({
  urls: config.BASKET_SERVICE_URL,
  timeoutMs: config.UPSTREAM_TIMEOUT_MS,
  retriesOnUnavailable: 2,
});
const product = createServiceTransport({
  urls: config.PRODUCT_SERVICE_URL,
  timeoutMs: config.UPSTREAM_TIMEOUT_MS,
  retriesOnUnavailable: 2,
});
const app = createPaymentApp({
  pool,
  basket,
  product,
  logger,
  ttlSeconds: config.PAYMENT_TTL_SECONDS,
  shopCurrency: config.SHOP_CURRENCY,
  sweepIntervalMs: config.EXPIRY_SWEEP_INTERVAL_MS,
});
const server = await startServiceServer({
  name: "payment",
  host: config.HOST,
  port: config.GRPC_PORT,
  logger,
  metrics: createMetrics(),
  ...app,
});
app.sweeper.start();

onShutdownSignal(logger, async () => {
  await server.close();
  await app.sweeper.stop();
  basket.close();
  product.close();
  await pool.end();
});
