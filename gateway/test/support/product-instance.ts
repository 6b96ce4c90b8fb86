/**
 * One product instance as its own process, for the fail-over tests: product's main.ts without
 * the Kafka consumer and the reservation sweeper (the shared broker is not ours to join), with
 * the same configuration, server, drain and signal handling. Run with
 * `node --conditions=source --import tsx`; it prints `listening <port>` once it serves.
 */
import { loadConfig } from "#shared/config";
import { toDatabaseSettings } from "#shared/database";
import { createLogger } from "#shared/logger";
import { createMetrics } from "#shared/metrics";
import { startServiceServer } from "#shared/server/service-server";
import { onShutdownSignal } from "#shared/shutdown";
import { testVerifier } from "#shared-test/auth";
import { createProductApp } from "../../../services/product/src/app.js";
import { productConfigShape } from "../../../services/product/src/config.js";
import { connectProductDatabase } from "../../../services/product/src/db/connection.js";

const config = loadConfig(productConfigShape);
const logger = createLogger("product", config.LOG_LEVEL);
const sql = connectProductDatabase({ ...toDatabaseSettings(config), maxConnections: 4 });
const server = await startServiceServer({
  name: "product",
  host: config.HOST,
  port: config.GRPC_PORT,
  logger,
  metrics: createMetrics(),
  unaryGrpcFastPath: config.GRPC_FAST_PATH,
  verifier: testVerifier,
  ...createProductApp(sql),
});
process.stdout.write(`listening ${server.port}\n`);

onShutdownSignal(logger, async () => {
  await server.close();
  await sql.end({ timeout: 5 });
});
