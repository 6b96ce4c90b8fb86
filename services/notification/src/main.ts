import { loadServiceAuth } from "#shared/auth/service-auth";
import { loadConfig } from "#shared/config";
import { toDatabaseSettings } from "#shared/database";
import { createKafka } from "#shared/kafka/client";
import { createLogger } from "#shared/logger";
import { createMetrics } from "#shared/metrics";
import { startServiceServer } from "#shared/server/service-server";
import { onShutdownSignal } from "#shared/shutdown";
import { createNotificationApp } from "./app.js";
import { notificationConfigShape } from "./config.js";
import { connectNotificationDatabase } from "./db/connection.js";
import { consumeEvents } from "./events/events-consumer.js";

const config = loadConfig(notificationConfigShape);
const logger = createLogger("notification", config.LOG_LEVEL);
const { verifier } = loadServiceAuth(config, "notification");
const metrics = createMetrics();
const sql = connectNotificationDatabase({
  ...toDatabaseSettings(config),
  maxConnections: config.DB_POOL_MAX,
});
const app = await createNotificationApp(sql, {
  logger,
  metrics,
  heartbeatMs: config.WATCH_HEARTBEAT_MS,
});
const server = await startServiceServer({
  name: "notification",
  host: config.HOST,
  port: config.GRPC_PORT,
  logger,
  unaryGrpcFastPath: config.GRPC_FAST_PATH,
  verifier,
  ...app,
});

// Not part of /ready: the API works without Kafka, and events wait there until it returns.
const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: "notification" }, logger);
const events = consumeEvents({
  kafka,
  store: app.store,
  logger,
  metrics,
  groupPrefix: config.KAFKA_GROUP_PREFIX,
});

onShutdownSignal(logger, async () => {
  // First, so the event in flight is stored and committed while the database is still open.
  await events.stop();
  // Ends every open stream cleanly (clients see the stream finish and reconnect elsewhere);
  // otherwise the server's drain would wait for them until its grace period ran out.
  await app.hub.close();
  await server.close(config.SHUTDOWN_GRACE_MS);
  await sql.end({ timeout: 5 });
});
