import http2 from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import { errorFromClosedStream } from "#shared/fast-grpc/http2-errors";
import { setGrpcStatus } from "#shared/rpc/grpc-status";
import { type RpcWireForm, writeWireError } from "#shared/rpc/wire-errors";
import type { NodeRequest, NodeResponse } from "#shared/server/one-port";
import type { Deadline } from "./deadline.js";
import type { PickedInstance, ProxyConnections } from "./instances.js";

/** One proxied call, as the proxy has resolved it. */
export interface ForwardCall {
  readonly req: NodeRequest;
  readonly res: NodeResponse;
  readonly form: RpcWireForm;
  readonly instance: PickedInstance;
  readonly deadline: Deadline;
  /** Largest request body, counted as it arrives; more is ResourceExhausted. */
  readonly limitBytes: number;
  /** Request headers to add or replace upstream (x-request-id). */
  readonly upstreamHeaders: Readonly<Record<string, string>>;
  /** How the gateway names the upstream to clients, e.g. "product service". */
  readonly upstreamName: string;
  /** Hears once how the call ended: a gRPC code (0 = OK), an HTTP status, or the error. */
  readonly onEnd: (outcome: { code: string; error?: ConnectError }) => void;
}

/** Request and response headers that belong to one connection, never forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "transfer-encoding",
  "upgrade",
  "host",
  "http2-settings",
]);
const { NGHTTP2_CANCEL, NGHTTP2_FLAG_END_STREAM, NGHTTP2_INTERNAL_ERROR } = http2.constants;

/**
 * Forwards one call to `call.instance` over HTTP/2 and streams both bodies through as they come
 * (no buffering beyond the sockets' flow control): headers minus hop-by-hop ones, the body, the
 * response headers, body and HTTP/2 trailers as the upstream sent them — a trailers-only gRPC
 * answer stays trailers-only. A client that goes away resets the upstream stream (CANCEL); an
 * upstream that fails before answering becomes the gateway's own error in the client's protocol
 * (Unavailable), after answering a gRPC status trailer or a cut stream. The deadline and the
 * size limit end the call the same way (DeadlineExceeded, ResourceExhausted).
 */
export function forward(call: ForwardCall, connections: ProxyConnections): void {
  const { req, res, instance } = call;
  let settled = false;
  let upstream: http2.ClientHttp2Stream | undefined;
  let timer: NodeJS.Timeout | undefined;
  let grpcStatus: string | undefined;
  let answered = false;

  const settle = (outcome: "success" | "failure", code: string, error?: ConnectError) => {
    if (settled) return false;
    settled = true;
    clearTimeout(timer);
    instance.report(outcome);
    call.onEnd({ code, error });
    return true;
  };
  const fail = (error: ConnectError, outcome: "success" | "failure") => {
    if (!settle(outcome, String(error.code), error)) return;
    if (upstream && !upstream.closed) upstream.close(NGHTTP2_CANCEL);
    answerFailure(call, error);
  };

  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > call.limitBytes) {
    fail(tooLarge(call.limitBytes), "success");
    return;
  }
  try {
    upstream = connections.request(instance.baseUrl, upstreamHeaders(call));
  } catch (error) {
    const failure = ConnectError.from(error, Code.Unavailable);
    fail(named(call.upstreamName, failure), "failure");
    return;
  }
  const stream = upstream;
  if (call.deadline.timeoutMs !== undefined) {
    const message = `${call.upstreamName} did not answer within the deadline`;
    timer = setTimeout(
      () =>
        fail(new ConnectError(message, Code.DeadlineExceeded), answered ? "success" : "failure"),
      call.deadline.timeoutMs,
    );
  }

  // Request body: counted as it arrives, paused while the upstream cannot take more.
  let received = 0;
  req.on("data", (chunk: Buffer) => {
    if (settled) return;
    received += chunk.length;
    if (received > call.limitBytes) return fail(tooLarge(call.limitBytes), "success");
    if (!stream.write(chunk)) {
      req.pause();
      stream.once("drain", () => req.resume());
    }
  });
  req.once("end", () => {
    if (!settled) stream.end();
  });
  // The client hung up (or reset its stream) before the answer ended: cancel upstream.
  res.once("close", () => {
    // (Over HTTP/2 a reset also emits "finish" first: only our own settling says it ended well.)
    if (settled) return;
    settle("success", String(Code.Canceled));
    if (!stream.closed) stream.close(NGHTTP2_CANCEL);
  });

  stream.once("response", (headers, flags) => {
    if (settled) return;
    answered = true;
    const status = Number(headers[":status"]);
    const out = responseHeaders(headers);
    grpcStatus = headerValue(headers["grpc-status"]);
    if ((flags & NGHTTP2_FLAG_END_STREAM) !== 0) return void endWithHeaders(res, status, out);
    (res as { writeHead(status: number, headers: object): void }).writeHead(status, out);
    // Stream the headers at once: a server stream's first message may be long in coming.
    (res as { flushHeaders?: () => void }).flushHeaders?.();
  });
  stream.on("data", (chunk: Buffer) => {
    if (settled) return;
    if (!(res as { write(chunk: Buffer): boolean }).write(chunk)) {
      stream.pause();
      res.once("drain", () => stream.resume());
    }
  });
  stream.once("trailers", (trailers) => {
    if (settled) return;
    grpcStatus = headerValue(trailers["grpc-status"]) ?? grpcStatus;
    (res as { addTrailers(headers: object): void }).addTrailers(responseHeaders(trailers));
  });
  stream.once("end", () => {
    if (settled) return;
    if (!res.writableEnded) res.end();
    const status = res.statusCode;
    const failed = status >= 500 || grpcStatus === String(Code.Unavailable);
    settle(failed ? "failure" : "success", grpcStatus ?? String(status));
  });
  let streamError: unknown;
  stream.on("error", (error) => {
    streamError = error;
  });
  stream.once("close", () => {
    if (settled) return;
    const session = stream.session as http2.ClientHttp2Session | undefined;
    const reason = errorFromClosedStream(stream, session, streamError);
    fail(named(call.upstreamName, reason), "failure");
  });
}

/** The client's request headers for the upstream, with the deadline and x-request-id. */
function upstreamHeaders(call: ForwardCall): http2.OutgoingHttpHeaders {
  const { req } = call;
  const out: http2.OutgoingHttpHeaders = {
    ":method": req.method ?? "POST",
    ":path": req.url ?? "/",
    ":scheme": "http",
    ":authority": new URL(call.instance.baseUrl).host,
  };
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name.startsWith(":") || HOP_BY_HOP.has(name)) continue;
    // HTTP/2 allows `te` only as "trailers" (gRPC sends exactly that).
    if (name === "te" && value !== "trailers") continue;
    out[name] = value;
  }
  if (call.deadline.header) out[call.deadline.header[0]] = call.deadline.header[1];
  return { ...out, ...call.upstreamHeaders };
}

function responseHeaders(headers: http2.IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || name.startsWith(":") || HOP_BY_HOP.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/** An upstream answer of headers alone (gRPC trailers-only), passed on as such. */
function endWithHeaders(res: NodeResponse, status: number, headers: Record<string, unknown>) {
  const stream = (res as Partial<http2.Http2ServerResponse>).stream;
  if (stream) {
    if (!stream.closed)
      stream.respond({ ...res.getHeaders(), ...headers, ":status": status }, { endStream: true });
    return;
  }
  (res as { writeHead(status: number, headers: object): void }).writeHead(status, headers);
  res.end();
}

/**
 * Tells the client of a failure: in its protocol's own form when nothing was sent yet; as the
 * gRPC status trailer when a gRPC answer is under way; otherwise (a gRPC-Web or Connect body
 * half sent) by cutting the stream, the only signal left that cannot be mistaken for success.
 */
function answerFailure(call: ForwardCall, error: ConnectError): void {
  const { req, res, form } = call;
  if (!res.headersSent) {
    // A body cut short is not read to its end: HTTP/1.1 closes the connection after the answer.
    if (!req.complete && "shouldKeepAlive" in res) res.shouldKeepAlive = false;
    writeWireError(res, form, error);
    req.resume();
    return;
  }
  if (res.writableEnded) return;
  if (form.protocol === "grpc") {
    const trailers = Object.fromEntries(setGrpcStatus(new Headers(), error));
    (res as { addTrailers(headers: object): void }).addTrailers(trailers);
    res.end();
    return;
  }
  const stream = (res as Partial<http2.Http2ServerResponse>).stream;
  if (stream) stream.close(NGHTTP2_INTERNAL_ERROR);
  else res.destroy();
}

function tooLarge(limit: number): ConnectError {
  return new ConnectError(
    `request body exceeds the limit of ${limit} bytes`,
    Code.ResourceExhausted,
  );
}

/** The failure in the gateway's words, naming the upstream but never where it lives. */
function named(name: string, failure: ConnectError): ConnectError {
  const message =
    failure.code === Code.Unavailable ? `${name} is unavailable` : `${name} broke off the call`;
  const code = failure.code === Code.Canceled ? Code.Unavailable : failure.code;
  return new ConnectError(message, code, undefined, undefined, failure);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
