import { z } from "zod";
import { type ServiceUrlVariable, services, serviceUrlVariable } from "#services";
import { userAuthConfigShape } from "#shared/auth/config";
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

/** "anonymous,user": requests per rate-limit window of one route class. */
const classLimit = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const [anonymous, user, ...rest] = text.split(",").map((part) => Number(part.trim()));
      const valid = (n: number | undefined) => n !== undefined && Number.isInteger(n) && n > 0;
      if (rest.length > 0 || !valid(anonymous) || !valid(user)) {
        ctx.addIssue({ code: "custom", message: "expected two positive integers: anonymous,user" });
        return z.NEVER;
      }
      return { anonymous: anonymous as number, user: user as number };
    });

/** A comma-separated list of IP addresses (empty: none). */
const addressList = z
  .string()
  .default("")
  .transform(
    (text) =>
      new Set(
        text
          .split(",")
          .map((part) => part.trim())
          .filter(Boolean),
      ),
  );

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
  /** Largest request body on every path: REST (413) and proxied calls (ResourceExhausted). */
  MAX_BODY_BYTES: positiveInt(1024 * 1024),
  CORS_ALLOWED_ORIGINS: allowedOrigins,
  SHUTDOWN_GRACE_MS: positiveInt(10_000),
  LOG_LEVEL: logLevel,
  GRPC_FAST_PATH: grpcFastPath,
  /** The off switch (for benchmarks): "false", "0", "no" or "off" turns rate limiting off. */
  RATE_LIMIT: z.stringbool().default(true),
  RATE_LIMIT_WINDOW_SECONDS: positiveInt(10),
  RATE_LIMIT_CATALOGUE: classLimit("100,1000"),
  RATE_LIMIT_READ: classLimit("100,1000"),
  RATE_LIMIT_WRITE: classLimit("50,500"),
  RATE_LIMIT_CHECKOUT: classLimit("10,100"),
  /** "allow" (log, let requests through) or "refuse" (503) while Redis fails. */
  RATE_LIMIT_WHEN_REDIS_FAILS: z.enum(["allow", "refuse"]).default("allow"),
  RATE_LIMIT_REDIS_TIMEOUT_MS: positiveInt(100),
  /** Peers whose X-Forwarded-For is believed (the load balancer's addresses); default none. */
  TRUSTED_PROXIES: addressList,
  /** Where the shared rate-limit counts live; keys start with "ratelimit:". */
  REDIS_HOST: z.string().default("127.0.0.1"),
  REDIS_PORT: port(6379),
  REDIS_PASSWORD: z.string().optional(),
  REDIS_DB: z.coerce.number().int().min(0).max(15).default(0),
  /** User tokens only: the gateway holds no service secret, so it accepts no service token. */
  ...userAuthConfigShape,
  /**
   * The storefront build to serve at `/`: a directory, or "none". Unset: `dist/web` beside the
   * gateway's own build, served when it exists.
   */
  WEB_ROOT: z.string().min(1).optional(),
  /**
   * Development sign-in (POST /dev/token hands out a token for any user name, signed with
   * AUTH_JWT_SECRET). Off unless set; `npm start` turns it on. Refused with NODE_ENV=production.
   */
  DEV_SIGN_IN: z.stringbool().default(false),
  NODE_ENV: z.string().optional(),
};
