import type http2 from "node:http2";
import type { DescMessage } from "@bufbuild/protobuf";
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
import type { NodeRequest, NodeResponse } from "../server/one-port.js";
import { type CallContext, createCallContext, invokeUnary } from "./call-context.js";
import { errorFromResetCode } from "./http2-errors.js";
import { headerPairs, nodeHeaders } from "./http2-headers.js";
import { readEnvelope } from "./request-body.js";

/** A unary method's implementation, as connect's router holds it. */
export type UnarySpec = Extract<MethodImplSpec, { kind: "unary" }>;

/** What a short path is given: the Connect adapter's settings, and connect-node to fall back on. */
export interface UnaryPathOptions {
  readonly methods: readonly UnarySpec[];
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

type Http2Request = http2.Http2ServerRequest;
type Http2Response = http2.Http2ServerResponse;

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
 * with a binary, uncompressed request. It runs the same interceptors, handler context and
 * implementation through connect's serializers and `setTrailerStatus` and this folder's mirrors of
 * `createHandlerContext` and `invokeUnaryImplementation` (call-context.ts), but without the
 * async-iterable pipeline, the per-call universal request/response objects and the abort
 * signals nobody reads that make up most of connect-node's per-call cost.
 *
 * Anything else — HTTP/1.1, the Connect and gRPC-Web protocols, JSON, compressed requests,
 * invalid timeouts, streaming methods, and any request body that is not exactly one
 * well-formed message envelope — goes to connect's own handler, so its answers stay connect's.
 */
export function createGrpcUnaryHandler(options: UnaryPathOptions) {
  const { limits, routes, interceptors, compressions } = pathSetup(options);

  return (req: NodeRequest, res: NodeResponse): void => {
    const route = "stream" in req && req.method === "POST" ? routes.get(req.url) : undefined;
    const timeout = route && parseTimeout(header(req, "grpc-timeout") ?? null, MAX_TIMEOUT_MS);
    if (!route || !timeout || timeout.error || !isPlainGrpc(req as Http2Request)) {
      options.connect(req, res);
      return;
    }
    // Made as the headers arrive, as connect does, so a deadline counts from the same moment.
    const context = grpcCallContext(req as Http2Request, route.spec, timeout.timeoutMs);
    readEnvelope(req as Http2Request, limits.readMaxBytes, (payload, replay) => {
      if (payload !== undefined) return void serve(res as Http2Response, route, context, payload);
      context.abort(CALL_ENDED);
      options.connectReplay(req, res, replay);
    });
  };

  /** Connect's gRPC handler, for one message: parse, interceptors and implementation, answer. */
  async function serve(
    res: Http2Response,
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
      const data = route.serialization.getO(true).serialize(output);
      const compressed = await envelopeCompress(
        { flags: 0, data },
        compression.response,
        limits.compressMinBytes,
      );
      frame = encodeEnvelope(compressed.flags, compressed.data);
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
    respond(res, context, frame);
  }
}

/**
 * What both short paths derive once from their options: the limits connect derives from the same
 * options (write limit and compression threshold are connect's defaults, as the adapter is not
 * given others), and the routes by request path (`/package.Service/Method`) with connect's
 * serializers.
 */
export function pathSetup(options: UnaryPathOptions) {
  const limits = validateReadWriteMaxBytes(options.readMaxBytes, undefined, undefined);
  const routes = new Map<string, Route>(
    options.methods.map((spec) => [
      `/${spec.method.parent.typeName}/${spec.method.name}`,
      {
        spec,
        serialization: createMethodSerializationLookup(spec.method, undefined, undefined, limits),
      },
    ]),
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
};

/** Binary gRPC with an uncompressed request, over HTTP/2 with an authority. */
function isPlainGrpc(req: Http2Request): boolean {
  const type = req.headers["content-type"];
  const encoding = req.headers["grpc-encoding"];
  return (
    (type === "application/grpc" || type === CONTENT_TYPE_PROTO) &&
    (encoding === undefined || encoding === "identity") &&
    Boolean(req.authority)
  );
}

/** The handler context connect's gRPC handler would make for this request. */
function grpcCallContext(req: Http2Request, spec: UnarySpec, timeoutMs: number | undefined) {
  return createCallContext({
    spec,
    protocolName: "grpc",
    timeoutMs,
    requestHeader: headerPairs(req.headers),
    url: () => new URL(req.url, `http://${req.authority}`).toString(),
    responseHeader: { "content-type": CONTENT_TYPE_PROTO },
    responseTrailer: { "grpc-status": grpcStatusOk },
    // connect-node's request signal: aborted as the stream closes, by a reset or our answer.
    watchRequest: (abort) => {
      const closed = () => abort(errorFromResetCode(req.stream.rstCode) ?? CALL_ENDED);
      if (req.stream.destroyed) closed();
      else req.once("close", closed);
    },
  });
}

function respond(res: Http2Response, context: CallContext, frame: Uint8Array | undefined): void {
  // A client that reset the stream gets nothing; connect's write would fail the same way.
  if (res.stream.destroyed || res.stream.closed) return;
  try {
    res.writeHead(200, nodeHeaders(context.responseHeader));
    if (frame) res.write(frame);
    res.addTrailers(nodeHeaders(context.responseTrailer));
    res.end();
  } catch {
    // The stream closed under us: nothing to tell a client that is gone.
  }
}

function header(req: NodeRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}
