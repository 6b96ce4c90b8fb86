import { z } from "zod";
import { service } from "#services";
import { serviceAuthConfigShape } from "#shared/auth/config";
import { grpcFastPath, logLevel, port, positiveInt } from "#shared/config";
import { DATABASE_PORTS, databaseConfigShape } from "#shared/database";
import { kafkaConsumerConfigShape } from "#shared/kafka/config";

const { port: grpcPort, store } = service("notification");

/** The notification database's variables (DB_*), shared by the service and its migrate-cli. */
export const notificationDatabaseShape = databaseConfigShape({
  port: DATABASE_PORTS[store.kind],
  database: store.database,
});

/** The notification service's environment (SPEC §2). */
export const notificationConfigShape = {
  GRPC_PORT: port(grpcPort),
  HOST: z.string().default("0.0.0.0"),
  LOG_LEVEL: logLevel,
  GRPC_FAST_PATH: grpcFastPath,
  ...serviceAuthConfigShape,
  ...notificationDatabaseShape,
  DB_POOL_MAX: positiveInt(10),
  /** Where payment-events, stock-events and basket-events are consumed from. */
  ...kafkaConsumerConfigShape,
  /** Pause between heartbeats on an idle WatchNotifications stream. */
  WATCH_HEARTBEAT_MS: positiveInt(15_000),
  /** On SIGTERM, open streams are ended; connections still busy after this are cut. */
  SHUTDOWN_GRACE_MS: positiveInt(10_000),
};
