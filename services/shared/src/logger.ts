import { type Logger, pino } from "pino";

export type { Logger };

/** A JSON logger for one process; every line carries `service`. Secrets are redacted by path. */
export function createLogger(service: string, level: string): Logger {
  return pino({
    level,
    base: { service },
    redact: [
      "password",
      "*.password",
      "authorization",
      "*.authorization",
      "*.*.authorization",
      "token",
      "*.token",
    ],
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
