import { z } from "zod";
import { logLevel, port, positiveInt } from "#shared/config";

/** The product service's environment (SPEC §2); names kept from the original design. */
export const productConfigShape = {
  GRPC_PORT: port(50050),
  HOST: z.string().default("0.0.0.0"),
  LOG_LEVEL: logLevel,
  DB_HOST: z.string().default("localhost"),
  DB_PORT: port(5432),
  DB_USER: z.string(),
  /** Empty means no password (trust or peer authentication). */
  DB_PASSWORD: z.string().default(""),
  DB_NAME: z.string().default("product_service"),
  DB_POOL_MAX: positiveInt(10),
  /** Pause between sweeps that release reservations left past their expiry. */
  RESERVATION_SWEEP_INTERVAL_MS: positiveInt(10_000),
  /** How long past its expiry a reservation may still be committed before a sweep releases it. */
  RESERVATION_SWEEP_GRACE_MS: z.coerce.number().int().min(0).default(60_000),
};
