import { z } from "zod";
import { service } from "#services";
import { serviceAuthConfigShape } from "#shared/auth/config";
import { grpcFastPath, logLevel, port, positiveInt, serviceUrls } from "#shared/config";
import { DATABASE_PORTS, databaseConfigShape } from "#shared/database";
import { kafkaConfigShape } from "#shared/kafka/config";
import { resilienceConfigShape } from "#shared/rpc/resilience-config";

const { port: grpcPort, store } = service("payment");

/** The payment database's variables (DB_*), shared by the service and its migrate-cli. */
export const paymentDatabaseShape = databaseConfigShape({
  port: DATABASE_PORTS[store.kind],
  database: store.database,
});

/** The payment service's environment (SPEC §2); names kept from the original design. */
export const paymentConfigShape = {
  GRPC_PORT: port(grpcPort),
  HOST: z.string().default("0.0.0.0"),
  LOG_LEVEL: logLevel,
  GRPC_FAST_PATH: grpcFastPath,
  ...paymentDatabaseShape,
  ...kafkaConfigShape,
  ...serviceAuthConfigShape,
  /** `required` connects over TLS and verifies the server's certificate. */
  DB_SSL_MODE: z.enum(["disabled", "required"]).default("disabled"),
  DB_POOL_MAX: positiveInt(10),
  BASKET_SERVICE_URL: serviceUrls("localhost:50051"),
  PRODUCT_SERVICE_URL: serviceUrls("localhost:50050"),
  /** Deadline of each call to the basket and product services. */
  UPSTREAM_TIMEOUT_MS: positiveInt(2000),
  /** Ejection of failing basket/product instances and a breaker over each service. */
  ...resilienceConfigShape,
  /** How long a PENDING payment (and its stock reservation) waits to be processed. */
  PAYMENT_TTL_SECONDS: positiveInt(900),
  /** The currency of the catalogue's prices, ISO 4217. */
  SHOP_CURRENCY: z
    .string()
    .regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as USD")
    .default("USD"),
  /** How often stale PENDING payments are looked for. */
  EXPIRY_SWEEP_INTERVAL_MS: positiveInt(5000),
};
