import type http2 from "node:http2";
import { create, type DescMessage, type DescMethodUnary, toBinary } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ContextValues,
  createContextValues,
  type Interceptor,
  type Transport,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import {
  createMethodUrl,
  encodeEnvelope,
  validateReadWriteMaxBytes,
} from "@connectrpc/connect/protocol";
import { requestHeader } from "@connectrpc/connect/protocol-grpc";
import { lazyFields } from "../lazy-fields.js";
import { markTransportFailure } from "../rpc/outcome.js";
import { CallControl } from "./call-control.js";
import { createConnectGrpcTransport } from "./connect-transport.js";
import { createHttp2Connection, type Http2Connection } from "./http2-connection.js";
import { connectionFailure } from "./http2-errors.js";
import { appendNodeHeader } from "./http2-headers.js";
import { exchange } from "./unary-exchange.js";

export interface GrpcUnaryTransportOptions {
  /** The server's base URL, e.g. http://product:8081; a path is kept as a prefix. */
  readonly baseUrl: string;
  /** The deadline of calls that pass no `timeoutMs`; none when undefined. */
  readonly defaultTimeoutMs?: number;
  readonly interceptors?: Interceptor[];
  /** The largest response message accepted (connect's default: 4 GiB). */
  readonly readMaxBytes?: number;
  /**
   * After a call misses its deadline the session is sent a PING; if no answer comes within this
   * time (default 5 s) the connection is taken for dead and replaced. No pings otherwise.
   */
  readonly pingTimeoutMs?: number;
}

type AnyFn = Parameters<Interceptor>[0];
type HeadersInit = ConstructorParameters<typeof Headers>[0];
type Message = UnaryRequest["message"];

const USER_AGENT = "connect-shop-grpc-unary connect-es/2.2.0";

const CONTROL = Symbol("call control");

/** Made only if an interceptor looks: connect's run-call makes two controllers per call. */
const withRequestGetters = lazyFields<{ [CONTROL]: CallControl }, Pick<UnaryRequest, "signal">>({
  signal() {
    return this[CONTROL].signal();
  },
});

/**
 * A Connect transport whose unary calls speak binary gRPC over one persistent HTTP/2 session
 * per base URL, without connect-node's per-call machinery (universal request and response
 * objects, async iterables, abort controllers, a ConnectError per completed call). Deadlines,
 * cancellation, interceptors, error codes and messages behave as in `createGrpcTransport`; the
 * response is never compressed (we do not offer any encoding). Streaming calls go to
 * connect-node's own transport (connect-transport.ts), made on first use.
 *
 * `close()` destroys the sessions; calls in flight fail and later calls are refused.
 */
export function createGrpcUnaryTransport(
  options: GrpcUnaryTransportOptions,
): Transport & { close(): void } {
  const { baseUrl, defaultTimeoutMs } = options;
  const { readMaxBytes } = validateReadWriteMaxBytes(options.readMaxBytes, undefined, undefined);
  const interceptors = options.interceptors ?? [];
  const prefix = new URL(baseUrl).pathname.replace(/\/$/, "");
  const connection = createHttp2Connection(baseUrl, options.pingTimeoutMs ?? 5_000);
  let streaming: (Transport & { close(): void }) | undefined;

  /** The HTTP/2 exchange at the centre of the interceptors. */
  function send(
    control: CallControl,
    method: DescMethodUnary,
    message: Message,
    header: HeadersInit | undefined,
    timeoutMs: number | undefined,
  ) {
    // An interceptor may call on after the deadline: connect's fetch would not send either.
    if (control.done) return Promise.reject(control.failure);
    const path = `${prefix}/${method.parent.typeName}/${method.name}`;
    const frame = encodeEnvelope(0, serialize(method, message));
    let stream: http2.ClientHttp2Stream;
    try {
      stream = connection.request(requestHeaders(connection, path, header, timeoutMs));
    } catch (error) {
      // Nothing was sent: a connection failure here is safe to try on another instance.
      const failure = connectionFailure(error);
      return Promise.reject(
        failure ? markTransportFailure(failure, "unsent") : ConnectError.from(error),
      );
    }
    control.attach(stream);
    return exchange(stream, frame, method, readMaxBytes);
  }

  function intercepted(
    control: CallControl,
    method: DescMethodUnary,
    message: Message,
    header: HeadersInit | undefined,
    timeoutMs: number | undefined,
    contextValues: ContextValues | undefined,
  ) {
    let next: AnyFn = (req) => {
      if (req.stream) throw new TypeError("a unary transport received a streaming request");
      return send(control, req.method, req.message, req.header, timeoutMs);
    };
    for (let i = interceptors.length - 1; i >= 0; i--) {
      next = (interceptors[i] as Interceptor)(next);
    }
    const request = withRequestGetters({
      stream: false as const,
      service: method.parent,
      method,
      requestMethod: "POST",
      url: createMethodUrl(baseUrl, method),
      header: requestHeader(true, timeoutMs, header),
      contextValues: contextValues ?? createContextValues(),
      message,
      [CONTROL]: control,
    });
    return next(request) as Promise<UnaryResponse>;
  }

  return {
    unary(method, signal, timeoutMs, header, input, contextValues) {
      const deadline =
        timeoutMs === undefined ? defaultTimeoutMs : timeoutMs <= 0 ? undefined : timeoutMs;
      const control = new CallControl(signal, deadline, connection);
      if (control.done) return control.promise as Promise<UnaryResponse<never, never>>;
      const desc = method as unknown as DescMethodUnary;
      let call: Promise<UnaryResponse>;
      try {
        const message = create(desc.input as DescMessage, input as never) as Message;
        call =
          interceptors.length === 0
            ? send(control, desc, message, header, deadline)
            : intercepted(control, desc, message, header, deadline, contextValues);
      } catch (error) {
        // Connect's unary is async: what throws here must reject, and stop the deadline timer.
        call = Promise.reject(error);
      }
      call.then(control.resolve, control.reject);
      return control.promise as Promise<UnaryResponse<never, never>>;
    },
    stream(method, signal, timeoutMs, header, input, contextValues) {
      streaming ??= createConnectGrpcTransport(options);
      return streaming.stream(method, signal, timeoutMs, header, input, contextValues);
    },
    close() {
      connection.close();
      streaming?.close();
    },
  };
}

/**
 * The request headers connect's gRPC transport sends, minus the compression it offers. A plain
 * record of lowercase names (what our callers pass) and web Headers (what interceptors pass on)
 * become node's flat array form, in the order the object form would reach the wire — node
 * copies an object into a fresh one per request, but sends an array as it is. Anything else
 * (pairs, names to merge or override) goes through the object form.
 */
function requestHeaders(
  session: Origin,
  path: string,
  init: HeadersInit | undefined,
  timeoutMs: number | undefined,
): http2.OutgoingHttpHeaders | string[] {
  if (init instanceof Headers) return headersArray(session, path, init, timeoutMs);
  if (!isPlainRecord(init)) return headerObject(path, init, timeoutMs);
  const raw = pseudoHeaders(session, path);
  for (const name in init) raw.push(name, String(init[name]));
  raw.push("content-type", CONTENT_TYPE, "te", "trailers", "user-agent", USER_AGENT);
  if (timeoutMs !== undefined) raw.push("grpc-timeout", grpcTimeout(timeoutMs));
  return raw;
}

const CONTENT_TYPE = "application/grpc+proto";

/** What node's session would add to a request lacking it (see `Http2Connection`). */
type Origin = Pick<Http2Connection, "authority" | "scheme">;

/** Pseudo-headers first, in the order node emits those of the object form. */
function pseudoHeaders(session: Origin, path: string) {
  return [
    ":method",
    "POST",
    ":path",
    path,
    ":authority",
    session.authority,
    ":scheme",
    session.scheme,
  ];
}

/**
 * Web Headers (what interceptors hand on: connect's request header with theirs added) in the
 * array form, holding what `headerObject` would make of them in the same order: each name where
 * Headers lists it (sorted, lower case), the names the object form sets taking its values there,
 * and any of those missing added after. Saves the object, and node's copy of it, on every
 * intercepted call (every service-to-service call carries credentials added by an interceptor).
 */
function headersArray(
  session: Origin,
  path: string,
  init: Headers,
  timeoutMs: number | undefined,
): string[] {
  const raw = pseudoHeaders(session, path);
  let contentType = false;
  let te = false;
  let userAgent = false;
  let timeout = false;
  for (const [name, value] of init) {
    if (name === "content-type") {
      contentType = true;
      raw.push(name, CONTENT_TYPE);
    } else if (name === "te") {
      te = true;
      raw.push(name, "trailers");
    } else if (name === "grpc-timeout") {
      timeout = true;
      raw.push(name, timeoutMs === undefined ? value : grpcTimeout(timeoutMs));
    } else {
      userAgent ||= name === "user-agent";
      raw.push(name, value);
    }
  }
  if (!contentType) raw.push("content-type", CONTENT_TYPE);
  if (!te) raw.push("te", "trailers");
  if (!userAgent) raw.push("user-agent", USER_AGENT);
  if (!timeout && timeoutMs !== undefined) raw.push("grpc-timeout", grpcTimeout(timeoutMs));
  return raw;
}

/** Names the object form sets or merges itself: an init naming one takes that path. */
const OWN_NAMES = new Set(["content-type", "te", "user-agent", "grpc-timeout"]);

function isPlainRecord(init: HeadersInit | undefined): init is Record<string, string> {
  if (init === undefined || init instanceof Headers || Array.isArray(init)) return false;
  for (const name in init) {
    if (name.charCodeAt(0) === 58 /* ":" */ || OWN_NAMES.has(name)) return false;
    if (name !== name.toLowerCase()) return false;
  }
  return true;
}

function headerObject(
  path: string,
  init: Exclude<HeadersInit, Headers> | undefined,
  timeoutMs: number | undefined,
): http2.OutgoingHttpHeaders {
  const headers: http2.OutgoingHttpHeaders = Object.create(null);
  if (Array.isArray(init)) {
    for (const [name, value] of init) appendNodeHeader(headers, name as string, value as string);
  } else if (init) {
    for (const name in init) appendNodeHeader(headers, name, String(init[name]));
  }
  headers[":method"] = "POST";
  headers[":path"] = path;
  headers["content-type"] = CONTENT_TYPE;
  headers.te = "trailers";
  headers["user-agent"] ??= USER_AGENT;
  if (timeoutMs !== undefined) headers["grpc-timeout"] = grpcTimeout(timeoutMs);
  return headers;
}

/** gRPC's TimeoutValue has at most 8 digits: coarser units for long deadlines. */
function grpcTimeout(timeoutMs: number): string {
  const ms = Math.ceil(timeoutMs);
  if (ms < 1e8) return `${ms}m`;
  const seconds = Math.ceil(ms / 1000);
  return seconds < 1e8 ? `${seconds}S` : `${Math.min(Math.ceil(seconds / 3600), 99_999_999)}H`;
}

function serialize(method: DescMethodUnary, message: Message): Uint8Array {
  try {
    return toBinary(method.input, message);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConnectError(`serialize binary: ${reason}`, Code.Internal);
  }
}
