import { type DestinationStream, type Logger, type LoggerOptions, pino } from "pino";

export type { Logger };

const REDACT = [
  "password",
  "*.password",
  "authorization",
  "*.authorization",
  "*.*.authorization",
  "token",
  "*.token",
];

/** The unredacted twin of each logger made by `createLogger` (see `flatLineLogger`). */
const flatTwins = new WeakMap<Logger, Logger>();

/**
 * A JSON logger for one process; every line carries `service`. Secrets are redacted by path.
 * Lines go to stdout (pino's default destination: asynchronous, flushed at exit) unless
 * `destination` is given.
 */
export function createLogger(
  service: string,
  level: string,
  destination: DestinationStream = pino.destination({ fd: process.stdout.fd || 1 }),
): Logger {
  const options: LoggerOptions = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  const logger = pino({ ...options, redact: REDACT }, destination);
  flatTwins.set(logger, pino(options, destination));
  return logger;
}

/**
 * The same logger without redaction, for a line whose fields are fixed, flat scalars none of
 * which a redact path names (the per-request line): redaction copies and walks every line it is
 * given, about a third of such a line's cost, and would change nothing on it. Loggers not made
 * by `createLogger` are returned as they are.
 */
export function flatLineLogger(logger: Logger): Logger {
  return flatTwins.get(logger) ?? logger;
}
