import type http2 from "node:http2";
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor, type MethodImplSpec } from "@connectrpc/connect";
import {
  type Compression,
  compressionNegotiate,
  createMethodSerializationLookup,
  encodeEnvelope,
  envelopeCompress,
  type MethodSerializationLookup,
  validateReadWriteMaxBytes,
} from "@connectrpc/connect/protocol";
import { grpcStatusOk, parseTimeout } from "@connectrpc/connect/protocol-grpc";
import { setGrpcStatus } from "../rpc/grpc-status.js";
import {
  compatExchange,
  type NodeRequest,
  type NodeResponse,
  type StreamHandler,
} from "../server/one-port.js";
import { type BinaryEncoder, envelopeWriter, withBinaryEncoder } from "./binary-encoder.js";
import { type CallContext, createCallContext, invokeUnary } from "./call-context.js";
import { errorFromResetCode } from "./http2-errors.js";
import { headerValue, nodeHeaders, responseHeaderList } from "./http2-headers.js";
import { readEnvelope } from "./request-body.js";

/** A unary method's implementation, as connect's router holds it. */
export type UnarySpec = Extract<MethodImplSpec, { kind: "unary" }>;

/** What a short path is given: the Connect adapter's settings, and connect-node to fall back on. */
export interface UnaryPathOptions {
  readonly methods: readonly UnarySpec[];
  /** Hand-written binary encoders of output messages (see binary-encoder.ts); none by default. */
  readonly encoders?: readonly BinaryEncoder[];
  /** The same interceptors, limits and compressions the Connect adapter is given. */
  readonly interceptors: readonly Interceptor[];
  readonly readMaxBytes: number;
  readonly acceptCompression: readonly Compression[];
  /** Connect's handler: every request this path does not take goes there untouched. */
  readonly connect: (req: NodeRequest, res: NodeResponse) => void;
  /** Connect's handler for a request whose body this path has already read (`body` replays it). */
  readonly connectReplay: (
    req: NodeRequest,
    res: NodeResponse,
    body: AsyncIterable<Uint8Array>,
  ) => void;
}

/** What the gRPC path is given: it hands what it declines back to node, so it needs no `connect`. */
export type GrpcPathOptions = Omit<UnaryPathOptions, "connect">;

const CONTENT_TYPE_PROTO = "application/grpc+proto";
/** Connect's default `maxTimeoutMs`: no limit. */
export const MAX_TIMEOUT_MS = Number.MAX_SAFE_INTEGER;
/**
 * What connect-node aborts a finished call's signals with: an AbortError DOMException. Connect
 * makes a new one (and captures a stack) several times per call; one shared instance says the
 * same thing.
 */
export const CALL_ENDED = new DOMException("This operation was aborted", "AbortError");

/**
 * A shorter road for the calls that dominate service-to-service traffic: unary gRPC over HTTP/2
 * with a binary, uncompressed request, served straight from node's `ServerHttp2Stream` (a
 * `StreamHandler`, see server/one-port.ts). It runs the same interceptors, handler context and
 * implementation through connect's serializers and `setTrailerStatus` and this folder's mirrors of
 * `createHandlerContext` and `invokeUnaryImplementation` (call-context.ts), and writes the same
 * frames node's compatibility response writes for connect-node, but without that compatibility
 * request and response, the async-iterable pipeline, the per-call universal request/response
 * objects and the abort signals nobody reads that make up most of connect-node's per-call cost.
 *
 * Anything else — the Connect and gRPC-Web protocols, JSON, compressed requests, invalid
 * timeouts, streaming methods — is declined (the handler returns false, and node makes its
 * compatibility request and response for connect's own handler); a request body that is not
 * exactly one well-formed message envelope goes to `connectReplay` with node's compatibility
 * request and response made here, so connect's answers stay connect's.
 */
export function createGrpcUnaryHandler(options: GrpcPathOptions): StreamHandler {
  const { limits, routes, interceptors, compressions } = pathSetup(options);

  return (stream, headers, rawHeaders) => {
    const path = headers[":path"];
    const route = headers[":method"] === "POST" && path ? routes.get(path) : undefined;
    const timeout = route && parseTimeout(headerValue(headers, "grpc-timeout"), MAX_TIMEOUT_MS);
    const authority = route && plainGrpcAuthority(headers);
    // node answers an Expect header itself before it makes a request (100 Continue, or 417).
    const expects = headers.expect !== undefined;
    if (!route || !timeout || timeout.error || !authority || expects) return false;
    // node's compatibility request adds the same: a stream reset with an error code emits
    // 'error', which would otherwise be thrown.
    stream.on("error", ignore);
    // Made as the headers arrive, as connect does, so a deadline counts from the same moment.
    const context = grpcCallContext(stream, headers, authority, route.spec, timeout.timeoutMs);
    readEnvelope(stream, limits.readMaxBytes, (payload, replay) => {
      if (payload !== undefined) return void serve(stream, route, context, payload);
      context.abort(CALL_ENDED);
      const { req, res } = compatExchange(stream, headers, rawHeaders);
      options.connectReplay(req, res, replay());
    });
    return true;
  };

  /** Connect's gRPC handler, for one message: parse, interceptors and implementation, answer. */
  async function serve(
    stream: http2.ServerHttp2Stream,
    route: Route,
    context: CallContext,
    payload: Uint8Array,
  ) {
    const header = context.requestHeader;
    const compression = compressionNegotiate(
      compressions,
      header.get("grpc-encoding"),
      header.get("grpc-accept-encoding"),
      "grpc-accept-encoding",
    );
    if (compression.response)
      context.responseHeader.set("grpc-encoding", compression.response.name);
    let frame: Uint8Array | undefined;
    try {
      // As in connect, a request that does not parse never reaches the interceptors.
      const input = route.serialization.getI(true).parse(payload);
      const output = await invokeUnary(route.spec, context, input, interceptors);
      const answer = answerFrame(route, output, compression.response, limits.compressMinBytes);
      // Only a compression that applies is worth an await.
      frame = answer instanceof Promise ? await answer : answer;
      context.abort(CALL_ENDED);
    } catch (error) {
      context.abort(error);
      setGrpcStatus(
        context.responseTrailer,
        error instanceof ConnectError
          ? error
          : new ConnectError("internal error", Code.Internal, undefined, undefined, error),
      );
    }
    respond(stream, context, frame);
  }
}

/**
 * The answer's envelope as connect's gRPC handler makes it: serialized under the write limit,
 * compressed where a response compression applies to its size (then a promise), framed. An
 * answer the route's encoder writes behind room for the envelope header is not copied again.
 */
function answerFrame(
  route: Route,
  output: MessageShape<DescMessage>,
  compression: Compression | null,
  compressMinBytes: number,
): Uint8Array | Promise<Uint8Array> {
  const framed = route.envelope?.(output);
  if (framed && !(compression && framed.byteLength - 5 >= compressMinBytes)) return framed;
  const data = framed ? framed.subarray(5) : route.serialization.getO(true).serialize(output);
  if (compression && data.byteLength >= compressMinBytes)
    return envelopeCompress({ flags: 0, data }, compression, 0).then((compressed) =>
      encodeEnvelope(compressed.flags, compressed.data),
    );
  return encodeEnvelope(0, data);
}

/**
 * What both short paths derive once from their options: the limits connect derives from the same
 * options (write limit and compression threshold are connect's defaults, as the adapter is not
 * given others), and the routes by request path (`/package.Service/Method`) with connect's
 * serializers (their binary output through a hand-written encoder where one is given).
 */
export function pathSetup(options: GrpcPathOptions) {
  const limits = validateReadWriteMaxBytes(options.readMaxBytes, undefined, undefined);
  const encoders = new Map((options.encoders ?? []).map((encoder) => [encoder.schema, encoder]));
  const routes = new Map<string, Route>(
    options.methods.map((spec) => {
      const encoder = encoders.get(spec.method.output);
      const route: Route = {
        spec,
        serialization: withBinaryEncoder(
          createMethodSerializationLookup(spec.method, undefined, undefined, limits),
          encoder,
          limits,
        ),
        envelope: envelopeWriter(encoder, limits),
      };
      return [`/${spec.method.parent.typeName}/${spec.method.name}`, route];
    }),
  );
  return {
    limits,
    routes,
    interceptors: options.interceptors as Interceptor[],
    compressions: options.acceptCompression as Compression[],
  };
}

export type Route = {
  readonly spec: UnarySpec;
  readonly serialization: MethodSerializationLookup<DescMessage, DescMessage>;
  /** The binary answer as one uncompressed gRPC envelope, written in place (see binary-encoder.ts). */
  readonly envelope: ReturnType<typeof envelopeWriter>;
};

/**
 * The authority of a binary gRPC request with an uncompressed body over HTTP/2 (`:authority`,
 * else `Host`, as node's compatibility request reads it); undefined for any other request.
 */
function plainGrpcAuthority(headers: http2.IncomingHttpHeaders): string | undefined {
  const type = headers["content-type"];
  const encoding = headers["grpc-encoding"];
  if (type !== "application/grpc" && type !== CONTENT_TYPE_PROTO) return undefined;
  if (encoding !== undefined && encoding !== "identity") return undefined;
  return headers[":authority"] ?? headers.host;
}

/** The handler context connect's gRPC handler would make for this request. */
function grpcCallContext(
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  authority: string,
  spec: UnarySpec,
  timeoutMs: number | undefined,
) {
  return createCallContext({
    spec,
    protocolName: "grpc",
    timeoutMs,
    requestHeader: headers,
    url: () => new URL(headers[":path"] ?? "", `http://${authority}`).toString(),
    responseHeader: { "content-type": CONTENT_TYPE_PROTO },
    responseTrailer: { "grpc-status": grpcStatusOk },
    // connect-node's request signal: aborted as the stream closes, by a reset or our answer.
    watchRequest: (abort) => {
      const closed = () => abort(errorFromResetCode(stream.rstCode) ?? CALL_ENDED);
      if (stream.destroyed) closed();
      else stream.once("close", closed);
    },
  });
}

/**
 * What node's compatibility response does for connect-node's `writeHead`, `write`,
 * `addTrailers` and `end` (compat.js): the headers with `:status` 200 and a date, waiting for
 * trailers, the message, then the trailers once node asks for them.
 */
function respond(
  stream: http2.ServerHttp2Stream,
  context: CallContext,
  frame: Uint8Array | undefined,
): void {
  // A client that reset the stream gets nothing; connect's write would fail the same way.
  if (stream.destroyed || stream.closed) return;
  try {
    const trailers = nodeHeaders(context.responseTrailer);
    stream.respond(responseHeaderList(context.responseHeader), { waitForTrailers: true });
    stream.once("wantTrailers", () => stream.sendTrailers(trailers));
    if (frame) stream.write(frame);
    stream.end();
  } catch {
    // The stream closed under us: nothing to tell a client that is gone.
  }
}

function ignore(): void {}
