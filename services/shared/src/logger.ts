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

/**
 * Longest a line waits in the batch before it is written, and the batch size that writes at once:
 * under load a service writes every BATCH_MS (at 5k lines/s about 30 KB); the size only bounds a
 * burst. Each write is a thread-pool round trip: at 4 KiB, a product service under load spent
 * a few per cent of its CPU issuing them.
 */
const BATCH_MS = 20;
const BATCH_CHARS = 64 * 1024;

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

type LineValue = string | number | undefined;

/** The parts of a pino 10 logger an info line is made of (`pino.symbols`). */
type LoggerParts = {
  readonly [pino.symbols.lsCacheSym]: Record<number, string>;
  readonly [pino.symbols.timeSym]: () => string;
  readonly [pino.symbols.chindingsSym]: string;
  readonly [pino.symbols.endSym]: string;
  readonly [pino.symbols.streamSym]: { write(line: string): void };
};

/**
 * A writer of info lines with fixed, flat fields (the per-request lines of the services and the
 * gateway), each exactly what `logger.info(fields, msg)` writes with redaction off — level,
 * time, bindings, the fields in `keys` order (an undefined one left out), `msg` — made of the
 * logger's own level, time, bindings and stream without pino's per-line work: redaction copied
 * and walked every value of every line (wildcard paths) and would change nothing on such a line,
 * and rest arguments, message formatting and a walk of the object with a stringifier looked up
 * per key were most of what remained. For a logger of `createLogger` and its children, which
 * have no hooks, mixin or message prefix; the keys may not be ones a redact path names.
 */
export function fixedLineWriter<K extends string>(
  logger: Logger,
  keys: readonly K[],
  msg: string,
): (fields: Readonly<Record<K, LineValue>>) => void {
  if (keys.some((key) => REDACT.includes(key))) throw new Error("a redacted key in a fixed line");
  const parts = logger as unknown as LoggerParts;
  const start = parts[pino.symbols.lsCacheSym][logger.levels.values.info as number];
  const time = timeText(parts[pino.symbols.timeSym]);
  const end = parts[pino.symbols.endSym];
  const stream = parts[pino.symbols.streamSym];
  const names = keys.map((key) => `,${asString(key)}:`);
  const tail = `,"msg":${asString(msg)}`;
  return (fields) => {
    if (!logger.isLevelEnabled("info")) return;
    let line = start + time() + parts[pino.symbols.chindingsSym];
    for (let i = 0; i < keys.length; i++) {
      const value = fields[keys[i] as K];
      if (value === undefined) continue;
      line += names[i];
      if (typeof value === "string") line += asString(value);
      else line += Number.isFinite(value) ? `${value}` : "null";
    }
    stream.write(line + tail + end);
  };
}

/**
 * The logger's time text, made once per millisecond when it is pino's `isoTime` (the lines of a
 * busy process come in bursts that share a millisecond): the text `isoTime` makes for the same
 * `Date.now()`.
 */
function timeText(time: () => string): () => string {
  if (time !== pino.stdTimeFunctions.isoTime) return time;
  let last = Number.NaN;
  let text = "";
  return () => {
    const now = Date.now();
    if (now !== last) {
      last = now;
      text = `,"time":"${new Date(now).toISOString()}"`;
    }
    return text;
  };
}

/**
 * A string as pino 10 writes it (`asString` in lib/tools.js): as JSON.stringify does, but a lone
 * surrogate of a short string is written as it is.
 */
function asString(text: string): string {
  if (text.length > 100) return JSON.stringify(text);
  let result = "";
  let last = 0;
  let found = false;
  let point = 255;
  for (let i = 0; i < text.length && point >= 32; i++) {
    point = text.charCodeAt(i);
    if (point === 34 || point === 92) {
      result += `${text.slice(last, i)}\\`;
      last = i;
      found = true;
    }
  }
  result = found ? result + text.slice(last) : text;
  return point < 32 ? JSON.stringify(text) : `"${result}"`;
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
    if (pending !== "") writeAllSync(fd, pending);
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

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes all of `text` to `fd` before it returns, as sonic-boom's `flushSync` does: stdout to a
 * pipe is non-blocking, so a write may take only part of the text (a pipe with less room than
 * the text) or none (EAGAIN: the reader is behind). A plain `writeSync` at exit lost the end of
 * the last batch whenever the reader was slow.
 */
export function writeAllSync(fd: number, text: string): void {
  let bytes = Buffer.from(text);
  while (bytes.length > 0) {
    try {
      bytes = bytes.subarray(writeSync(fd, bytes));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN") throw error;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}
