import http2 from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import { failureOfClosedStream } from "#shared/fast-grpc/http2-errors";
import { setGrpcStatus } from "#shared/rpc/grpc-status";
import { type Outcome, outcomeOf } from "#shared/rpc/outcome";
import { endOfBody, type RpcWireForm, writeWireError } from "#shared/rpc/wire-errors";
import type { NodeRequest, NodeResponse } from "#shared/server/one-port";
import { type CallCode, CallStatus } from "./call-status.js";
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
  /** Hears once how the call ended: its code (0 = OK) as the client heard it, and the error. */
  readonly onEnd: (outcome: { code: CallCode; error?: ConnectError }) => void;
}

/** A call under way, as the proxy's drain sees it. */
export interface ForwardedCall {
  /**
   * Ends the call on the gateway's side (shutdown): the upstream stream is cancelled after the
   * message in passage, and the client hears `error` in its protocol's own form.
   */
  stop(error: ConnectError): void;
  /** Resolves once the call has ended, however. */
  readonly ended: Promise<void>;
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
 * answer stays trailers-only. How the call ended is read from the answer in its protocol's form
 * (call-status.ts) and reported to the instance (balancer and breaker). A client that goes away
 * resets the upstream stream (CANCEL); an upstream that fails before answering becomes the
 * gateway's own error in the client's protocol (Unavailable), after answering the protocol's
 * end of body when the failure falls between two messages, else a cut stream. The deadline and
 * the size limit end the call the same way (DeadlineExceeded, ResourceExhausted).
 */
export function forward(call: ForwardCall, connections: ProxyConnections): ForwardedCall {
  const { req, res, instance } = call;
  const status = new CallStatus(call.form);
  const ended = Promise.withResolvers<void>();
  let settled = false;
  let upstream: http2.ClientHttp2Stream | undefined;
  let timer: NodeJS.Timeout | undefined;
  let answered = false;
  let stopping: ConnectError | undefined;

  const settle = (outcome: Outcome, code: CallCode, error?: ConnectError) => {
    if (settled) return false;
    settled = true;
    clearTimeout(timer);
    instance.report(outcome);
    call.onEnd({ code, error });
    ended.resolve();
    return true;
  };
  const fail = (error: ConnectError, outcome: Outcome, atBoundary = status.atBoundary) => {
    if (!settle(outcome, error.code, error)) return;
    if (upstream && !upstream.closed) upstream.close(NGHTTP2_CANCEL);
    answerFailure(call, error, atBoundary);
  };
  const handle: ForwardedCall = {
    stop(error) {
      if (settled) return;
      // Between two messages (or before any): end now; else after the message in passage.
      if (!answered || status.atBoundary) fail(error, "canceled");
      else stopping = error;
    },
    ended: ended.promise,
  };

  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > call.limitBytes) {
    fail(tooLarge(call.limitBytes), "canceled");
    return handle;
  }
  try {
    upstream = connections.request(instance.baseUrl, upstreamHeaders(call));
  } catch (error) {
    const failure = ConnectError.from(error, Code.Unavailable);
    fail(named(call.upstreamName, failure), "unsent");
    return handle;
  }
  const stream = upstream;
  if (call.deadline.timeoutMs !== undefined) {
    const message = `${call.upstreamName} did not answer within the deadline`;
    // Past the deadline without an answer the upstream is slow; after its answer began (a
    // stream the client gave a deadline) that says nothing about it.
    timer = setTimeout(
      () =>
        fail(new ConnectError(message, Code.DeadlineExceeded), answered ? "canceled" : "timeout"),
      call.deadline.timeoutMs,
    );
  }

  // Request body: counted as it arrives, paused while the upstream cannot take more.
  let received = 0;
  req.on("data", (chunk: Buffer) => {
    if (settled) return;
    received += chunk.length;
    // The client's fault, not the service's: says nothing about the upstream.
    if (received > call.limitBytes) return fail(tooLarge(call.limitBytes), "canceled");
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
    settle("canceled", Code.Canceled);
    if (!stream.closed) stream.close(NGHTTP2_CANCEL);
  });

  stream.once("response", (headers, flags) => {
    if (settled) return;
    answered = true;
    const httpStatus = Number(headers[":status"]);
    status.headers(httpStatus, headers);
    const out = responseHeaders(headers);
    if ((flags & NGHTTP2_FLAG_END_STREAM) !== 0) return void endWithHeaders(res, httpStatus, out);
    (res as { writeHead(status: number, headers: object): void }).writeHead(httpStatus, out);
    // Stream the headers at once: a server stream's first message may be long in coming.
    (res as { flushHeaders?: () => void }).flushHeaders?.();
  });
  stream.on("data", (chunk: Buffer) => {
    if (settled) return;
    const boundary = status.data(chunk);
    const pass = stopping && boundary > 0 ? chunk.subarray(0, boundary) : chunk;
    if (!(res as { write(chunk: Buffer): boolean }).write(pass)) {
      stream.pause();
      res.once("drain", () => stream.resume());
    }
    if (stopping && boundary > 0) fail(stopping, "canceled", true);
    else if (stopping && !status.framed) fail(stopping, "canceled", false);
  });
  stream.once("trailers", (trailers) => {
    if (settled) return;
    status.trailers(trailers);
    (res as { addTrailers(headers: object): void }).addTrailers(responseHeaders(trailers));
  });
  stream.once("end", () => {
    if (settled) return;
    if (!res.writableEnded) res.end();
    const code = status.code();
    if (code === undefined) {
      const error = new ConnectError(`${call.upstreamName} ended without a status`, Code.Internal);
      return void settle("connection", Code.Internal, error);
    }
    settle(outcomeOfCode(code), code);
  });
  let streamError: unknown;
  stream.on("error", (error) => {
    streamError = error;
  });
  stream.once("close", () => {
    if (settled) return;
    const session = stream.session as http2.ClientHttp2Session | undefined;
    const reason = failureOfClosedStream(stream, session, streamError, answered);
    fail(named(call.upstreamName, reason), outcomeOf(reason));
  });
  return handle;
}

/** What a code the upstream answered says about it (see #shared/rpc/outcome). */
function outcomeOfCode(code: CallCode): Outcome {
  return code === 0 ? "ok" : outcomeOf(new ConnectError("", code));
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
 * gRPC status trailer when a gRPC answer is under way; as the trailer frame or end-of-stream
 * message when a gRPC-Web or Connect body stopped between two messages; otherwise (a message
 * half sent) by cutting the stream, the only signal left that cannot be mistaken for success.
 */
function answerFailure(call: ForwardCall, error: ConnectError, atBoundary: boolean): void {
  const { req, res, form } = call;
  if (!res.headersSent) {
    // A body cut short is not read to its end: HTTP/1.1 closes the connection after the answer.
    if (!req.complete && "shouldKeepAlive" in res) res.shouldKeepAlive = false;
    writeWireError(res, form, error);
    req.resume();
    return;
  }
  if (res.writableEnded) return;
  if (form.protocol === "grpc" && atBoundary) {
    const trailers = Object.fromEntries(setGrpcStatus(new Headers(), error));
    (res as { addTrailers(headers: object): void }).addTrailers(trailers);
    res.end();
    return;
  }
  if (atBoundary && (form.protocol === "grpc-web" || form.protocol === "connect-stream")) {
    res.end(endOfBody(form, error));
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
