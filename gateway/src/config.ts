import { z } from "zod";
import { type ServiceUrlVariable, services, serviceUrlVariable } from "#services";
import { grpcFastPath, logLevel, port, positiveInt, serviceUrls } from "#shared/config";
import { resilienceConfigShape } from "#shared/rpc/resilience-config";

/** A comma-separated list of ports, or "none". */
const portList = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      if (text.trim() === "none") return [];
      const ports = text.split(",").map((part) => Number(part.trim()));
      if (ports.some((value) => !Number.isInteger(value) || value < 1 || value > 65535)) {
        ctx.addIssue({ code: "custom", message: "expected comma-separated ports or none" });
        return z.NEVER;
      }
      return ports;
    });

/** `PRODUCT_SERVICE_URL` and friends: one per service in services/registry.ts, at its port. */
const upstreamUrls = Object.fromEntries(
  services.map(({ name, port }) => [serviceUrlVariable(name), serviceUrls(`localhost:${port}`)]),
) as Record<ServiceUrlVariable, ReturnType<typeof serviceUrls>>;

/**
 * The gateway's environment. EXTRA_PORTS serve the same routes as PORT, so the per-service HTTP
 * URLs of the original design (8081 products, 8082 baskets) keep working.
 */
export const gatewayConfig = {
  PORT: port(8080),
  EXTRA_PORTS: portList("8081,8082"),
  HOST: z.string().default("0.0.0.0"),
  ...upstreamUrls,
  UPSTREAM_TIMEOUT_MS: positiveInt(5000),
  ...resilienceConfigShape,
  MAX_BODY_BYTES: positiveInt(1024 * 1024),
  SHUTDOWN_GRACE_MS: positiveInt(10_000),
  LOG_LEVEL: logLevel,
  GRPC_FAST_PATH: grpcFastPath,
};
