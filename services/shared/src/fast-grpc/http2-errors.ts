import type http2 from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import { markTransportFailure } from "../rpc/outcome.js";

/**
 * Node error codes that mean the connection itself failed: nothing reached a handler, or the
 * connection died under the call. Connect-node maps some of these to Aborted (a server's view
 * of a client hanging up); for a client every one of them means the upstream is unavailable.
 */
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ERR_HTTP2_GOAWAY_SESSION",
  "ERR_HTTP2_INVALID_SESSION",
  "ERR_HTTP2_SESSION_ERROR",
  "ERR_HTTP2_STREAM_CANCEL",
]);

/**
 * Why a client stream closed before its response ended, as a ConnectError: Unavailable (with
 * the node error that says which connection failed as `cause`) when the connection failed or
 * went away, connect-node's code for an RST_STREAM from the peer, Internal otherwise.
 */
export function errorFromClosedStream(
  stream: http2.ClientHttp2Stream,
  session: http2.ClientHttp2Session | undefined,
  error: unknown,
): ConnectError {
  const failure = connectionFailure(error);
  if (failure) return failure;
  // Node reports no error when the peer simply closed the connection.
  if (session?.destroyed || session?.closed) {
    return new ConnectError("upstream unavailable: connection closed", Code.Unavailable);
  }
  const reset = errorFromResetCode(stream.rstCode);
  if (reset) return reset;
  if (error !== undefined) return ConnectError.from(error, Code.Internal);
  return new ConnectError("http/2 stream closed before the response ended", Code.Internal);
}

/**
 * `errorFromClosedStream`, marked for the balancer (rpc/outcome.ts): "unsent" when the request
 * never reached a handler — the stream never got an id (the connection failed first) or the
 * server refused it (REFUSED_STREAM, also what a GOAWAY does to streams past its last id) — and
 * "connection" when the connection failed under a stream the server may have started on.
 */
export function failureOfClosedStream(
  stream: http2.ClientHttp2Stream,
  session: http2.ClientHttp2Session | undefined,
  error: unknown,
  responded: boolean,
): ConnectError {
  const failure = errorFromClosedStream(stream, session, error);
  if (!responded && (stream.id === undefined || refused(stream, error))) {
    return markTransportFailure(failure, "unsent");
  }
  return failure.code === Code.Unavailable ? markTransportFailure(failure, "connection") : failure;
}

const REFUSED_STREAM = 7;

/** Node reports a stream refused by a GOAWAY as a stream error, not always as its rstCode. */
function refused(stream: http2.ClientHttp2Stream, error: unknown): boolean {
  if (stream.rstCode === REFUSED_STREAM) return true;
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === "ERR_HTTP2_STREAM_ERROR" && String(message).includes("REFUSED_STREAM");
}

/**
 * Unavailable for a failure of the connection (refused, reset, unresolvable, gone), with the
 * innermost node error that names it as cause; undefined for any other failure.
 */
export function connectionFailure(error: unknown): ConnectError | undefined {
  let found: Error | undefined;
  for (let each = error, depth = 0; each instanceof Error && depth < 8; depth++) {
    const code = (each as { code?: unknown }).code;
    if (typeof code === "string" && CONNECTION_CODES.has(code)) found = each;
    each = each.cause;
  }
  if (!found) return undefined;
  const message = `upstream unavailable: ${found.message}`;
  return new ConnectError(message, Code.Unavailable, undefined, undefined, found);
}

/** connect-node's mapping of HTTP/2 RST_STREAM codes to errors (node-error.ts, not exported). */
export function errorFromResetCode(rstCode: number): ConnectError | undefined {
  const name = RESET_CODES[rstCode];
  if (!name) return undefined;
  const message = `http/2 stream closed with error code ${name[0]} (0x${rstCode.toString(16)})`;
  return new ConnectError(message, name[1]);
}

const RESET_CODES: Record<number, [string, Code]> = {
  1: ["PROTOCOL_ERROR", Code.Internal],
  2: ["INTERNAL_ERROR", Code.Internal],
  3: ["FLOW_CONTROL_ERROR", Code.Internal],
  4: ["SETTINGS_TIMEOUT", Code.Internal],
  6: ["FRAME_SIZE_ERROR", Code.Internal],
  7: ["REFUSED_STREAM", Code.Unavailable],
  8: ["CANCEL", Code.Canceled],
  9: ["COMPRESSION_ERROR", Code.Internal],
  10: ["CONNECT_ERROR", Code.Internal],
  11: ["ENHANCE_YOUR_CALM", Code.ResourceExhausted],
  12: ["INADEQUATE_SECURITY", Code.PermissionDenied],
  13: ["HTTP_1_1_REQUIRED", Code.PermissionDenied],
};
