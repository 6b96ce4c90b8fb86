import { randomUUID } from "node:crypto";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { callerKey, callerLabel } from "../auth/caller.js";
import { fixedLineWriter, type Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";

const REQUEST_ID = "x-request-id";

/**
 * Logs one line per RPC (service, method, code, duration, request id, the verified caller such as
 * `user:alice`, never a credential) and records the RPC count
 * and latency histogram. A caller's `X-Request-Id` is kept, otherwise one is made, and it is
 * echoed in the response headers and passed on to the handler through the request headers.
 * For streaming RPCs the duration covers the call until its response stream is set up.
 */
export function observeInterceptor(logger: Logger, metrics: Metrics): Interceptor {
  // The line's fields are fixed scalars (no credential, nothing a redact path names).
  const line = fixedLineWriter(
    logger,
    ["rpc", "method", "code", "requestId", "caller", "durationMs", "protocol"],
    "rpc",
  );
  return (next) => async (req) => {
    const started = performance.now();
    let requestId = req.header.get(REQUEST_ID);
    if (!requestId) {
      requestId = randomUUID();
      req.header.set(REQUEST_ID, requestId);
    }
    let code = "ok";
    try {
      const res = await next(req);
      res.header.set(REQUEST_ID, requestId);
      return res;
    } catch (error) {
      code = codeToString(error instanceof ConnectError ? error.code : Code.Unknown);
      throw error;
    } finally {
      const seconds = (performance.now() - started) / 1000;
      const service = req.service.typeName;
      const method = req.method.name;
      metrics.rpc(service, method, code).observe(seconds);
      line({
        rpc: service,
        method,
        code,
        requestId,
        caller: callerLabel(req.contextValues.get(callerKey)),
        durationMs: Math.round(seconds * 1e6) / 1000,
        protocol: protocolOf(req.header),
      });
    }
  };
}

/** "grpc", "grpc-web" or "connect", read off the request's content type. */
function protocolOf(header: Headers): string {
  const type = header.get("content-type") ?? "";
  if (type.startsWith("application/grpc-web")) return "grpc-web";
  if (type.startsWith("application/grpc")) return "grpc";
  return "connect";
}
