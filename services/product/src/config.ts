import { z } from "zod";
import { grpcFastPath, logLevel, port, positiveInt } from "#shared/config";

/** The product service's environment (SPEC §2); names kept from the original design. */
export const productConfigShape = {
  GRPC_PORT: port(50050),
  HOST: z.string().default("0.0.0.0"),
  LOG_LEVEL: logLevel,
  GRPC_FAST_PATH: grpcFastPath,
  DB_HOST: z.string().default("localhost"),
  DB_PORT: port(5432),
  DB_USER: z.string(),
  /** Empty means no password (trust or peer authentication). */
  DB_PASSWORD: z.string().default(""),
  DB_NAME: z.string().default("product_service"),
  DB_POOL_MAX: positiveInt(10),
};
