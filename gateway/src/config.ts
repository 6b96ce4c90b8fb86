import { z } from "zod";
import { type ServiceUrlVariable, services, serviceUrlVariable } from "#services";
import { grpcFastPath, logLevel, port, positiveInt, serviceUrls } from "#shared/config";

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

/**
 * `CORS_ALLOWED_ORIGINS`: browser origins allowed to call the gateway, comma-separated, each
 * exactly `scheme://host[:port]` (`https://shop.example.com,http://localhost:5173`); `*` allows
 * any origin; empty or unset allows none besides the gateway's own origin.
 */
export const allowedOrigins = z
  .string()
  .default("")
  .transform((text, ctx): "*" | ReadonlySet<string> => {
    if (text.trim() === "*") return "*";
    const origins = text
      .split(",")
      .map((part) => part.trim())
      .filter((part) => part !== "");
    for (const origin of origins) {
      if (!isOrigin(origin)) {
        ctx.addIssue({
          code: "custom",
          message: `"${origin}" is not an origin like https://shop.example.com[:port]`,
        });
        return z.NEVER;
      }
    }
    return new Set(origins.map((origin) => origin.toLowerCase()));
  });

function isOrigin(text: string): boolean {
  try {
    const url = new URL(text);
    return (
      (url.protocol === "http:" || url.protocol === "https:") && url.origin === text.toLowerCase()
    );
  } catch {
    return false;
  }
}

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
  /** Largest request body on every path: REST (413) and proxied calls (ResourceExhausted). */
  MAX_BODY_BYTES: positiveInt(1024 * 1024),
  CORS_ALLOWED_ORIGINS: allowedOrigins,
  SHUTDOWN_GRACE_MS: positiveInt(10_000),
  LOG_LEVEL: logLevel,
  GRPC_FAST_PATH: grpcFastPath,
};
