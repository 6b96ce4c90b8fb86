import { Code, ConnectError } from "@connectrpc/connect";
import type { Caller } from "#shared/auth/caller";
import { fixedLineWriter, type Logger } from "#shared/logger";
import type { Metrics } from "#shared/metrics";
import type { RpcWireForm } from "#shared/rpc/wire-errors";
import type { NodeResponse } from "#shared/server/one-port";
import { errorJson, HttpError, httpStatusOf } from "./errors.js";

/** One request in flight, as much as the reply, the access log and the metrics need. */
export interface Exchange {
  readonly res: NodeResponse;
  readonly requestId: string;
  readonly method: string;
  /** The route template (`GET /products/{id}`) or "unmatched": bounded, so fit for labels. */
  label: string;
  readonly started: number;
  /** Set for a gRPC, gRPC-Web or Connect call: its errors are answered in that form. */
  form?: RpcWireForm;
  /**
   * Who is calling, once auth.ts verified their token: `{ kind: "user", subject, admin }`, or
   * anonymous (also for built-ins and before verification). The key for per-user limits.
   */
  caller: Caller;
}

/** Writes replies; each one is also logged once and counted. */
export interface Responder {
  /** Sends a complete response with `X-Request-Id`. */
  send(exchange: Exchange, status: number, text: string, type?: string, headers?: object): void;
  /**
   * Sends an error in the Connect error shape. A ConnectError keeps its code and message; any
   * other throwable is a gateway bug: logged in full, answered with a bare 500 `internal`.
   */
  fail(exchange: Exchange, thrown: unknown): void;
  /**
   * Logs and counts an answer written elsewhere (the proxy, a preflight) under `status`: the
   * HTTP status a REST call ending the same way would get (`httpStatusOfCode` for an RPC's code),
   * so every row of the metric speaks one vocabulary, whatever the protocol.
   */
  record(exchange: Exchange, status: number, error?: ConnectError): void;
  /**
   * Answers with a stream of newline-delimited JSON `lines` (each ending in "\n"). Status and
   * headers go out with the first line, so a failure before it rejects and the caller answers it
   * with `fail` as any other error; a failure after it becomes the last line,
   * `{"error":{<the Connect error shape>}}`, as grpc-gateway does. Logged once, when it ends.
   */
  stream(exchange: Exchange, lines: AsyncIterable<string>): Promise<void>;
}

/**
 * A responder recording one access log line per request (request id, method, route, status,
 * duration) and per-route metrics labelled service="gateway", method=route, code=HTTP status.
 */
export function createResponder(logger: Logger, metrics: Metrics): Responder {
  // The access line holds no secret (ids, route, status, duration, our own error text).
  const access = fixedLineWriter(
    logger,
    ["requestId", "method", "route", "status", "ms", "error"],
    "request",
  );
  const observe = (exchange: Exchange, status: number, error: string | undefined) => {
    const ms = performance.now() - exchange.started;
    metrics.rpc("gateway", exchange.label, String(status)).observe(ms / 1000);
    const { requestId, method, label: route } = exchange;
    access({ requestId, method, route, status, ms: Math.round(ms * 100) / 100, error });
  };
  const write = (
    exchange: Exchange,
    status: number,
    text: string,
    type: string,
    headers?: object,
  ) => {
    const all: Record<string, unknown> = {
      "content-type": type,
      "content-length": Buffer.byteLength(text),
      "x-request-id": exchange.requestId,
      ...headers,
    };
    // HTTP/2 forbids connection-specific headers (and closes no connection per request).
    if ("stream" in exchange.res) delete all.connection;
    (exchange.res as { writeHead(status: number, headers: object): void }).writeHead(status, all);
    exchange.res.end(text);
  };
  return {
    send(exchange, status, text, type = "application/json", headers) {
      write(exchange, status, text, type, headers);
      observe(exchange, status, undefined);
    },
    fail(exchange, thrown) {
      const error =
        thrown instanceof ConnectError ? thrown : new ConnectError("internal error", Code.Internal);
      if (error !== thrown)
        logger.error({ err: thrown, requestId: exchange.requestId }, "gateway bug");
      const status = httpStatusOf(error);
      write(
        exchange,
        status,
        errorJson(error),
        "application/json",
        error instanceof HttpError ? error.headers : undefined,
      );
      observe(exchange, status, status >= 500 ? describe(error) : undefined);
    },
    record(exchange, status, error) {
      const serverSide = error !== undefined && serverCodes.has(error.code);
      observe(exchange, status, serverSide ? describe(error) : undefined);
    },
    async stream(exchange, lines) {
      const iterator = lines[Symbol.asyncIterator]();
      const first = await iterator.next();
      const { res } = exchange;
      res.writeHead(200, {
        "content-type": "application/x-ndjson",
        "cache-control": "no-store",
        // nginx would otherwise buffer the stream and hold back every line.
        "x-accel-buffering": "no",
        "x-request-id": exchange.requestId,
      });
      const put = (line: string) => {
        if (!res.destroyed && !res.writableEnded) res.write(line);
      };
      let failure: string | undefined;
      try {
        for (let next = first; !next.done; next = await iterator.next()) put(next.value);
      } catch (thrown) {
        const error =
          thrown instanceof ConnectError
            ? thrown
            : new ConnectError("internal error", Code.Internal);
        if (error !== thrown)
          logger.error({ err: thrown, requestId: exchange.requestId }, "gateway bug");
        // A caller that went away cancelled its own stream: nothing to tell it, nothing wrong.
        if (!res.destroyed) put(`{"error":${errorJson(error)}}\n`);
        failure = error.code === Code.Canceled ? undefined : describe(error);
      }
      if (!res.writableEnded) res.end();
      observe(exchange, 200, failure);
    },
  };
}

/** Codes that say the gateway or an upstream failed, not the client: logged with the cause. */
const serverCodes = new Set([
  Code.Unknown,
  Code.Internal,
  Code.Unavailable,
  Code.DeadlineExceeded,
  Code.DataLoss,
]);

/** The message and its chain of causes, for the log only. */
function describe(error: ConnectError): string {
  const parts = [error.rawMessage];
  for (let cause = error.cause; cause instanceof Error && parts.length < 4; cause = cause.cause) {
    parts.push(cause instanceof ConnectError ? cause.rawMessage : cause.message);
  }
  return parts.join(": ");
}
