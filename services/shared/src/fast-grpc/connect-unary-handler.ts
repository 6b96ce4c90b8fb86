import type http from "node:http";
import { type DescMessage, type MessageShape, toJsonString } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  compressionNegotiate,
  getJsonOptions,
  mergeNonProtocolHeaders,
} from "@connectrpc/connect/protocol";
import {
  codeToHttpStatus,
  contentTypeUnaryJson,
  contentTypeUnaryProto,
  errorToJsonBytes,
  parseContentType,
  parseTimeout,
  trailerMux,
} from "@connectrpc/connect/protocol-connect";
import type { NodeRequest, NodeResponse } from "../server/one-port.js";
import { type CallContext, createCallContext, invokeUnary } from "./call-context.js";
import { headerValue, nodeHeaders } from "./http2-headers.js";
import {
  CALL_ENDED,
  MAX_TIMEOUT_MS,
  pathSetup,
  type Route,
  type UnaryPathOptions,
} from "./unary-handler.js";
import { readWholeBody } from "./whole-body.js";

type Http1Request = http.IncomingMessage;
type Http1Response = http.ServerResponse;

/**
 * A shorter road for what connect-web in a browser sends: a unary Connect POST over HTTP/1.1 with
 * an uncompressed JSON or binary body. It mirrors the unary handler of
 * @connectrpc/connect 2.2.0's Connect protocol (`protocol-connect/handler-factory.js`) as
 * `connectNodeAdapter` (connect-node 2.2.0) runs it — the same handler context, interceptors,
 * serializers (JSON and binary, with their parse errors), error JSON and HTTP status, error
 * metadata headers, `trailer-` headers, response compression and Content-Length — without the
 * universal request/response objects, the async-iterable body and the extra abort signals.
 *
 * Anything else — HTTP/2, GET, a query string, other content types, a Content-Encoding, an
 * invalid `connect-timeout-ms`, a body above `readMaxBytes` or one cut short, streaming methods —
 * goes to connect's own handler, so its answers stay connect's. connect-node reads neither
 * `connect-protocol-version` (this server does not require it) nor anything else this path skips.
 */
export function createConnectUnaryHandler(options: UnaryPathOptions) {
  const { limits, routes, interceptors, compressions } = pathSetup(options);

  return (req: NodeRequest, res: NodeResponse): void => {
    const route =
      !("stream" in req) && req.method === "POST" ? routes.get(req.url ?? "") : undefined;
    const type = route && plainConnectType(req as Http1Request, limits.readMaxBytes);
    const timeout =
      type && parseTimeout(headerValue(req.headers, "connect-timeout-ms"), MAX_TIMEOUT_MS);
    if (!route || !type || !timeout || timeout.error) {
      options.connect(req, res);
      return;
    }
    // Made as the headers arrive, as connect does, so a deadline counts from the same moment.
    const context = connectCallContext(req as Http1Request, res as Http1Response, route, {
      binary: type.binary,
      timeoutMs: timeout.timeoutMs,
    });
    readWholeBody(req as Http1Request, limits.readMaxBytes, (body, replay) => {
      if (body !== undefined) {
        // Only compressing the answer can still fail here; the client then sees the connection
        // close, as when connect-node's write fails.
        serve(res as Http1Response, route, context, type, body).catch(() => res.destroy());
        return;
      }
      context.abort(CALL_ENDED);
      options.connectReplay(req, res, replay());
    });
  };

  /** Connect's unary handler from the body on: parse, interceptors and implementation, answer. */
  async function serve(
    res: Http1Response,
    route: Route,
    context: CallContext,
    type: ContentType,
    body: Uint8Array,
  ) {
    const compression = compressionNegotiate(
      compressions,
      null,
      context.requestHeader.get("accept-encoding"),
      "accept-encoding",
    );
    let status = 200;
    let answer: Uint8Array | string;
    try {
      const input = route.serialization.getI(type.binary).parse(body);
      const output = await invokeUnary(route.spec, context, input, interceptors);
      answer = type.binary
        ? route.serialization.getO(true).serialize(output)
        : jsonAnswer(route, output, limits.writeMaxBytes);
    } catch (caught) {
      context.abort(caught);
      const error =
        caught instanceof ConnectError
          ? caught
          : new ConnectError("internal error", Code.Internal, undefined, undefined, caught);
      status = codeToHttpStatus(error.code);
      context.responseHeader.set("content-type", contentTypeUnaryJson);
      if (!error.isWireError) mergeNonProtocolHeaders(context.responseHeader, error.metadata);
      answer = errorToJsonBytes(error, undefined);
    } finally {
      context.abort(CALL_ENDED);
    }
    let length = typeof answer === "string" ? Buffer.byteLength(answer) : answer.byteLength;
    if (compression.response && length >= limits.compressMinBytes) {
      answer = await compression.response.compress(
        typeof answer === "string" ? Buffer.from(answer) : answer,
      );
      length = answer.byteLength;
      context.responseHeader.set("content-encoding", compression.response.name);
    }
    // trailerMux copies the headers to add the trailers': without trailers, nothing to add.
    const header = isEmpty(context.responseTrailer)
      ? context.responseHeader
      : trailerMux(context.responseHeader, context.responseTrailer);
    header.set("content-length", length.toString(10));
    respond(res, status, header, answer);
  }
}

type ContentType = { readonly binary: boolean };

/** What connect's JSON serialization makes of the route's options (pathSetup gives none). */
const JSON_OPTIONS = getJsonOptions(undefined);

/**
 * The JSON answer as connect's serialization makes it (`toJsonString`, then a check against
 * writeMaxBytes, with its errors), left as text: Node encodes it once, into the same write as
 * the response head, where connect's TextEncoder made bytes Node then wrote apart.
 */
function jsonAnswer(route: Route, output: MessageShape<DescMessage>, writeMaxBytes: number) {
  let json: string;
  try {
    json = toJsonString(route.spec.method.output, output, JSON_OPTIONS);
  } catch (e) {
    throw ConnectError.from(e, Code.Internal);
  }
  const bytes = Buffer.byteLength(json);
  if (bytes > writeMaxBytes)
    throw new ConnectError(
      `message size ${bytes} is larger than configured writeMaxBytes ${writeMaxBytes}`,
      Code.ResourceExhausted,
    );
  return json;
}

function isEmpty(headers: Headers): boolean {
  let empty = true;
  headers.forEach(() => {
    empty = false;
  });
  return empty;
}

/**
 * The unary Connect content type of a request this path serves: JSON or binary, without a
 * Content-Encoding, with a Host, and without a Content-Length above the limit (connect
 * refuses those before reading). Undefined for anything else.
 */
function plainConnectType(req: Http1Request, readMaxBytes: number): ContentType | undefined {
  const headers = req.headers;
  const type = parseContentType(headers["content-type"] ?? null);
  if (!type || type.stream || headers["content-encoding"] !== undefined) return undefined;
  // Without a Host, connect-node cannot make the request URL: its own answer, then.
  if (headers.host === undefined) return undefined;
  const length = headers["content-length"];
  if (length !== undefined && !(Number(length) <= readMaxBytes)) return undefined;
  return type;
}

/** The handler context connect's Connect handler would make for this request. */
function connectCallContext(
  req: Http1Request,
  res: Http1Response,
  route: Route,
  call: { binary: boolean; timeoutMs: number | undefined },
) {
  return createCallContext({
    spec: route.spec,
    protocolName: "connect",
    timeoutMs: call.timeoutMs,
    requestHeader: req.headers,
    url: () => new URL(req.url ?? "", `http://${req.headers.host}`).toString(),
    responseHeader: {
      "content-type": call.binary ? contentTypeUnaryProto : contentTypeUnaryJson,
    },
    // connect-node aborts the request signal when the response closes (done or the client gone).
    watchRequest: (abort) => {
      if (res.closed) abort(CALL_ENDED);
      else res.once("close", () => abort(CALL_ENDED));
    },
  });
}

function respond(
  res: Http1Response,
  status: number,
  header: Headers,
  body: Uint8Array | string,
): void {
  // A client that has gone gets nothing; connect's write would fail the same way.
  if (res.destroyed || res.writableEnded) return;
  try {
    res.writeHead(status, nodeHeaders(header));
    res.end(body);
  } catch {
    // A header Node refuses (connect-node fails the same write): no answer can be made now.
    res.destroy();
  }
}
