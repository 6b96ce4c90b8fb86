import { writeSync } from "node:fs";
import { type DestinationStream, type Logger, pino } from "pino";

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

/** Longest a line waits in the batch before it is written, and the batch size that writes at once. */
const BATCH_MS = 20;
const BATCH_CHARS = 4096;

/**
 * A JSON logger for one process; every line carries `service`. Secrets are redacted by path.
 * Lines go to stdout in batches (see `batchedStdout`) unless `destination` is given.
 */
export function createLogger(
  service: string,
  level: string,
  destination: DestinationStream = batchedStdout(),
): Logger {
  return pino(
    { level, base: { service }, timestamp: pino.stdTimeFunctions.isoTime, redact: REDACT },
    destination,
  );
}

/**
 * `logger` without redaction, for a line whose fields are fixed, flat scalars none of which a
 * redact path names (the per-request lines of the services and the gateway): redaction copies
 * and walks every value of every line it is given (wildcard paths), about a third of such a
 * line's cost and ~12 KB of garbage, and would change nothing on it.
 */
export function flatLineLogger(logger: Logger): Logger {
  return logger.child({}, { redact: [] });
}

/**
 * stdout through pino's own destination (sonic-boom: asynchronous writes, flushed at exit), with
 * the lines of up to BATCH_MS gathered into one write: a service logs a line per request, and one
 * write (a thread-pool round trip) per line was ~8% of the product service's CPU under load.
 * An idle process holds no timer (sonic-boom's own `minLength` + `periodicFlush` would wake every
 * process BATCH_MS apart for ever); at exit what is gathered is written synchronously, after
 * sonic-boom's own flush (older lines first). Only a process killed outright loses its last
 * BATCH_MS of lines.
 */
function batchedStdout(): DestinationStream & { flush(callback?: () => void): void } {
  const fd = process.stdout.fd || 1;
  const target = pino.destination({ fd });
  let pending = "";
  let timer: NodeJS.Timeout | undefined;
  const writeOut = () => {
    clearTimeout(timer);
    timer = undefined;
    if (pending === "") return;
    const lines = pending;
    pending = "";
    target.write(lines);
  };
  process.once("exit", () => {
    if (pending !== "") writeSync(fd, pending);
    pending = "";
  });
  return {
    write(line: string) {
      pending += line;
      if (pending.length >= BATCH_CHARS) writeOut();
      else timer ??= setTimeout(writeOut, BATCH_MS).unref();
    },
    flush(callback?: () => void) {
      writeOut();
      target.flush(callback);
    },
  };
}
