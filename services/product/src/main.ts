import { loadConfig } from "#shared/config";
import { toDatabaseSettings } from "#shared/database";
import { createLogger } from "#shared/logger";
import { createMetrics } from "#shared/metrics";
import { startServiceServer } from "#shared/server/service-server";
import { onShutdownSignal } from "#shared/shutdown";
import { guardStore } from "#shared/store-errors";
import { createProductApp } from "./app.js";
import { productConfigShape } from "./config.js";
import { connectProductDatabase, PRODUCT_DATABASE } from "./db/connection.js";
import { createStockRepository } from "./db/stock-repository.js";
import { startReservationSweeper } from "./reservation-sweeper.js";

const config = loadConfig(productConfigShape);
const logger = createLogger("product", config.LOG_LEVEL);
const sql = connectProductDatabase({
  ...toDatabaseSettings(config),
  maxConnections: config.DB_POOL_MAX,
});
const app = createProductApp(sql);
const server = await startServiceServer({
  name: "product",
  host: config.HOST,
  port: config.GRPC_PORT,
  logger,
  metrics: createMetrics(),
  unaryGrpcFastPath: config.GRPC_FAST_PATH,
  ...app,
});

const sweeper = startReservationSweeper({
  // bounded like the RPCs' calls, so a silent database cannot stall the sweeps
  stock: guardStore(createStockRepository(sql), PRODUCT_DATABASE),
  logger,
  intervalMs: config.RESERVATION_SWEEP_INTERVAL_MS,
  graceMs: config.RESERVATION_SWEEP_GRACE_MS,
});

onShutdownSignal(logger, async () => {
  await sweeper.stop();
  await server.close();
  await sql.end({ timeout: 5 });
});
