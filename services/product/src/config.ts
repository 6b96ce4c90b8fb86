import { z } from "zod";
import { service } from "#services";
import { serviceAuthConfigShape } from "#shared/auth/config";
import { grpcFastPath, logLevel, port, positiveInt } from "#shared/config";
import { DATABASE_PORTS, databaseConfigShape } from "#shared/database";
import { kafkaConsumerConfigShape } from "#shared/kafka/config";
import { PAGE_CACHE_PRODUCTS } from "./db/page-cache.js";

const { port: grpcPort, store } = service("product");

/** The product database's variables (DB_*), shared by the service and its migrate-cli. */
export const productDatabaseShape = databaseConfigShape({
  port: DATABASE_PORTS[store.kind],
  database: store.database,
});

/** The product service's environment (SPEC §2); names kept from the original design. */
export const productConfigShape = {
  GRPC_PORT: port(grpcPort),
  HOST: z.string().default("0.0.0.0"),
  LOG_LEVEL: logLevel,
  GRPC_FAST_PATH: grpcFastPath,
  ...productDatabaseShape,
  DB_POOL_MAX: positiveInt(10),
  /** Where `stock-events` is consumed from. */
  ...kafkaConsumerConfigShape,
  ...serviceAuthConfigShape,
  /** Pause between sweeps that release reservations left past their expiry. */
  RESERVATION_SWEEP_INTERVAL_MS: positiveInt(10_000),
  /** How long past its expiry a reservation may still be committed before a sweep releases it. */
  RESERVATION_SWEEP_GRACE_MS: z.coerce.number().int().min(0).default(60_000),
  /**
   * How long the id of an applied stock event is kept to deduplicate redeliveries: 14 days, twice
   * the broker's default retention of `stock-events`. Raise it with the topic's retention.
   */
  PROCESSED_EVENTS_RETENTION_HOURS: positiveInt(336),
  /**
   * Most products kept, across the list pages asked for again, to answer them unchanged without
   * reading them again (each answer still asks the database which rows the page holds and at
   * which versions); 0 keeps none.
   */
  PAGE_CACHE_PRODUCTS: z.coerce.number().int().min(0).default(PAGE_CACHE_PRODUCTS),
};
