import { z } from "zod";
import { service } from "#services";
import { serviceAuthConfigShape } from "#shared/auth/config";
import { grpcFastPath, logLevel, port, positiveInt, serviceUrls } from "#shared/config";
import { kafkaConsumerConfigShape } from "#shared/kafka/config";
import { resilienceConfigShape } from "#shared/rpc/resilience-config";

/** The basket service's environment (SPEC §2); names kept from the original design. */
export const basketConfigShape = {
  GRPC_PORT: port(service("basket").port),
  HOST: z.string().default("0.0.0.0"),
  LOG_LEVEL: logLevel,
  GRPC_FAST_PATH: grpcFastPath,
  REDIS_HOST: z.string().default("localhost"),
  REDIS_PORT: port(6379),
  REDIS_PASSWORD: z.string().optional(),
  REDIS_DB: z.coerce.number().int().min(0).max(15).default(0),
  PRODUCT_SERVICE_URL: serviceUrls(`localhost:${service("product").port}`),
  /** Deadline of each call to the product service. */
  PRODUCT_TIMEOUT_MS: positiveInt(2000),
  /** Ejection of failing product instances and the breaker over the product service. */
  ...resilienceConfigShape,
  /** Sliding idle time-to-live of a basket: 30 days. */
  BASKET_TTL_SECONDS: positiveInt(30 * 24 * 60 * 60),
  /** Where `basket-events` is consumed from. */
  ...kafkaConsumerConfigShape,
  ...serviceAuthConfigShape,
};
