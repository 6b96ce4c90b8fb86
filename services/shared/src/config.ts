import { z } from "zod";

/**
 * Configuration is read once at start-up from the environment and validated; a missing or
 * malformed variable stops the process with one line naming it (see `loadConfig`).
 */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Parses `env` against `shape`; throws a ConfigError whose message names every bad variable. */
export function parseConfig<S extends z.ZodRawShape>(
  shape: S,
  env: Record<string, string | undefined> = process.env,
): z.infer<z.ZodObject<S>> {
  // An empty variable counts as unset, so `FOO= npm start` falls back to the default.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ""));
  const result = z.object(shape).safeParse(present);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join(".");
    const value = env[name];
    // A secret's value is never repeated: the line goes to logs.
    const got = SECRET_NAME.test(name) ? "" : ` (got "${value}")`;
    const why = value === undefined ? "is required but not set" : `${issue.message}${got}`;
    return `${name} ${why}`;
  });
  throw new ConfigError(`invalid configuration: ${problems.join("; ")}`);
}

const SECRET_NAME = /SECRET|PASSWORD|TOKEN|KEY/;

/** Like `parseConfig`, but prints the one-line error and exits with status 1. */
export function loadConfig<S extends z.ZodRawShape>(shape: S): z.infer<z.ZodObject<S>> {
  return exitOnConfigError(() => parseConfig(shape));
}

/** `read()`, or, when it throws a ConfigError, that one line on stderr and exit status 1. */
export function exitOnConfigError<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

/** A TCP port number, with a default. */
export const port = (fallback: number) =>
  z.coerce.number().int().min(1).max(65535).default(fallback);

/** A pino level name. */
export const logLevel = z
  .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
  .default("info");

/**
 * `GRPC_FAST_PATH`: whether unary gRPC (and, on the server, unary Connect over HTTP/1.1) takes
 * the hand-written paths in fast-grpc/ (the
 * default) or connect-node's own handler and transport ("false", "0", "no", "off").
 */
export const grpcFastPath = z.stringbool().default(true);

/** A positive integer, with a default. */
export const positiveInt = (fallback: number) =>
  z.coerce.number().int().positive().default(fallback);

/**
 * One or more service addresses, comma-separated, each `host:port` (the original design) or
 * `http://host:port`; normalised to base URLs like `http://host:port`.
 */
export const serviceUrls = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const urls = text.split(",").map((part) => part.trim());
      for (const [index, url] of urls.entries()) {
        const normalised = normaliseServiceUrl(url);
        if (normalised === undefined) {
          ctx.addIssue({
            code: "custom",
            message: `"${url}" is not host:port or http://host:port`,
          });
          return z.NEVER;
        }
        urls[index] = normalised;
      }
      return urls;
    });

function normaliseServiceUrl(text: string): string | undefined {
  const withScheme = /^[a-z]+:\/\//i.test(text) ? text : `http://${text}`;
  try {
    const url = new URL(withScheme);
    if (url.protocol !== "http:" || !url.port || url.pathname !== "/") return undefined;
    return `http://${url.host}`;
  } catch {
    return undefined;
  }
}
