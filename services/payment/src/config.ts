import { z } from "zod";
import { logLevel, port, positiveInt, serviceUrls } from "#shared/config";

/** The payment service's environment (SPEC §2); names kept from the original design. */
export const paymentConfigShape = {
  GRPC_PORT: port(50052),
  HOST: z.string().default("0.0.0.0"),
  LOG_LEVEL: logLevel,
  DB_HOST: z.string().default("localhost"),
  DB_PORT: port(3306),
  DB_USER: z.string(),
  /** Empty means no password. */
  DB_PASSWORD: z.string().default(""),
  DB_NAME: z.string().default("payment_service"),
  /** `required` connects over TLS and verifies the server's certificate. */
  DB_SSL_MODE: z.enum(["disabled", "required"]).default("disabled"),
  DB_POOL_MAX: positiveInt(10),
  BASKET_SERVICE_URL: serviceUrls("localhost:50051"),
  PRODUCT_SERVICE_URL: serviceUrls("localhost:50050"),
  /** Deadline of each call to the basket and product services. */
  UPSTREAM_TIMEOUT_MS: positiveInt(2000),
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
