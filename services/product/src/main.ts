import { loadServiceAuth } from "#shared/auth/service-auth";
import { loadConfig } from "#shared/config";
import { toDatabaseSettings } from "#shared/database";
import { createKafka } from "#shared/kafka/client";
import { createLogger } from "#shared/logger";
import { createMetrics } from "#shared/metrics";
import { startServiceServer } from "#shared/server/service-server";
import { onShutdownSignal } from "#shared/shutdown";
import { guardStore } from "#shared/store-errors";
import { createProductApp } from "./app.js";
import { productConfigShape } from "./config.js";
import { connectProductDatabase, PRODUCT_DATABASE } from "./db/connection.js";
import { createStockRepository } from "./db/stock-repository.js";
import { consumeStockEvents } from "./events/stock-events-consumer.js";
import { startProcessedEventsPruner } from "./processed-events-pruner.js";
import { startReservationSweeper } from "./reservation-sweeper.js";

const config = loadConfig(productConfigShape);
const { verifier } = loadServiceAuth(config, "product");
const logger = createLogger("product", config.LOG_LEVEL);
const metrics = createMetrics();
const sql = connectProductDatabase({
  ...toDatabaseSettings(config),
  maxConnections: config.DB_POOL_MAX,
});
// Bounded like the RPCs' calls, so a silent database cannot stall the sweeps or the consumer.
const stock = guardStore(createStockRepository(sql), PRODUCT_DATABASE);
const app = createProductApp(sql, { pageCacheProducts: config.PAGE_CACHE_PRODUCTS, metrics });
const server = await startServiceServer({
  name: "product",
  host: config.HOST,
  port: config.GRPC_PORT,
  logger,
  metrics,
  unaryGrpcFastPath: config.GRPC_FAST_PATH,
  verifier,
  ...app,
});

const sweeper = startReservationSweeper({
  stock,
  logger,
  intervalMs: config.RESERVATION_SWEEP_INTERVAL_MS,
  graceMs: config.RESERVATION_SWEEP_GRACE_MS,
});
// Hourly: ids only need to outlive the topic's retention (days), not to go at once.
const pruner = startProcessedEventsPruner({
  stock,
  logger,
  intervalMs: 3_600_000,
  retentionMs: config.PROCESSED_EVENTS_RETENTION_HOURS * 3_600_000,
});

// Not part of /ready: the API works without Kafka, and events wait there until it returns.
const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: "product" }, logger);
const stockEvents = consumeStockEvents({
  kafka,
  stock,
  logger,
  metrics,
  groupPrefix: config.KAFKA_GROUP_PREFIX,
});

onShutdownSignal(logger, async () => {
  // First, so the event in flight is applied and committed while the database is still open.
  await stockEvents.stop();
  await sweeper.stop();
  await pruner.stop();
  await server.close();
  await sql.end({ timeout: 5 });
});
