import http2 from "node:http2";
import { type DescMethodUnary, fromBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, type UnaryResponse } from "@connectrpc/connect";
import {
  parseContentType,
  validateResponseWithCompression,
  validateTrailer,
} from "@connectrpc/connect/protocol-grpc";
import { lazyFields } from "../lazy-fields.js";
import { failureOfClosedStream } from "./http2-errors.js";
import { webHeaders } from "./http2-headers.js";
import { protocolError, ResponseBody } from "./response-body.js";

type Method = DescMethodUnary;
type NodeHeaders = http2.IncomingHttpHeaders;
type NodeResponseHeaders = NodeHeaders & http2.IncomingHttpStatusHeader;

/**
 * Sends one enveloped request on `stream` and settles with the unary response, or rejects with
 * the ConnectError connect-node's gRPC transport would raise for the same answer: the same
 * checks, in the same order, done by connect's own helpers whenever the answer is not a plain
 * success. The stream is cancelled as soon as the answer is known to be an error.
 */
export function exchange(
  stream: http2.ClientHttp2Stream,
  frame: Uint8Array,
  method: Method,
  readMaxBytes: number,
): Promise<UnaryResponse> {
  return new Promise((resolve, reject) => {
    const answer = new Answer(stream, method, new ResponseBody(readMaxBytes), resolve, reject);
    stream.on("response", (header: NodeResponseHeaders) => answer.onResponse(header));
    stream.on("data", (chunk: Buffer) => answer.onData(chunk));
    stream.on("trailers", (trailer: NodeHeaders) => answer.onTrailers(trailer));
    stream.on("error", (error: unknown) => answer.onError(error));
    stream.on("close", () => answer.onClose());
    stream.end(frame);
  });
}

/** What has arrived of one answer; settles the exchange once the verdict is known. */
class Answer {
  private header: NodeResponseHeaders | undefined;
  private headerError: ConnectError | undefined;
  private trailer: NodeHeaders | undefined;
  private streamError: unknown;
  private failed = false;
  // Captured now: node detaches a stream from its session when the stream closes.
  private readonly session: http2.ClientHttp2Session | undefined;

  constructor(
    private readonly stream: http2.ClientHttp2Stream,
    private readonly method: Method,
    private readonly body: ResponseBody,
    private readonly resolve: (response: UnaryResponse) => void,
    private readonly reject: (error: unknown) => void,
  ) {
    this.session = stream.session as http2.ClientHttp2Session | undefined;
  }

  onResponse(header: NodeResponseHeaders): void {
    this.header = header;
    try {
      this.headerError = checkHeader(header);
    } catch (error) {
      this.fail(error);
    }
  }

  onData(chunk: Buffer): void {
    if (!this.failed && !this.body.add(chunk)) this.fail(this.body.error());
  }

  onTrailers(trailer: NodeHeaders): void {
    this.trailer = trailer;
  }

  onError(error: unknown): void {
    this.streamError ??= error;
  }

  onClose(): void {
    if (this.failed) return;
    const { stream, header } = this;
    if (!stream.readableEnded || header === undefined) {
      const responded = header !== undefined;
      this.reject(failureOfClosedStream(stream, this.session, this.streamError, responded));
      return;
    }
    try {
      this.resolve(unaryResponse(this.method, header, this.headerError, this.body, this.trailer));
    } catch (error) {
      this.reject(error);
    }
  }

  private fail(error: unknown): void {
    this.failed = true;
    this.reject(error);
    if (!this.stream.closed) this.stream.close(http2.constants.NGHTTP2_CANCEL);
  }
}

/** The response from a complete answer, as connect's gRPC transport reads it. */
function unaryResponse(
  method: Method,
  header: NodeHeaders,
  headerError: ConnectError | undefined,
  body: ResponseBody,
  trailer: NodeHeaders | undefined,
): UnaryResponse {
  const payload = body.payload();
  const message = payload && parse(method, payload);
  checkTrailer(trailer, header);
  if (message === undefined) {
    throw headerError ?? protocolError("missing output message for unary method");
  }
  if (headerError) {
    const reason = "protocol error: received output message for unary method with error status";
    throw new ConnectError(reason, Code.Unknown);
  }
  const metadata: Metadata = { header, trailer, webHeader: undefined, webTrailer: undefined };
  return withResponseGetters({
    stream: false as const,
    service: method.parent,
    method,
    message,
    [METADATA]: metadata,
  });
}

const METADATA = Symbol("response metadata");

/** A response's Node headers and trailers, and their web Headers once read. */
type Metadata = {
  readonly header: NodeHeaders;
  readonly trailer: NodeHeaders | undefined;
  webHeader: Headers | undefined;
  webTrailer: Headers | undefined;
};

/** Built on first read: most callers only want the message, and Headers check every entry. */
const withResponseGetters = lazyFields<
  { [METADATA]: Metadata },
  Pick<UnaryResponse, "header" | "trailer">
>({
  header() {
    const metadata = this[METADATA];
    metadata.webHeader ??= webHeaders(metadata.header);
    return metadata.webHeader;
  },
  trailer() {
    const metadata = this[METADATA];
    metadata.webTrailer ??= webHeaders(metadata.trailer);
    return metadata.webTrailer;
  },
});

/**
 * Undefined for a plain 200 gRPC answer; otherwise connect's own verdict (HTTP status, content
 * type, response encoding — none accepted, as we never ask for compression), which throws, or
 * returns the error of a trailers-only answer.
 */
function checkHeader(header: NodeResponseHeaders): ConnectError | undefined {
  const plain =
    header[":status"] === 200 &&
    header["grpc-status"] === undefined &&
    header["grpc-encoding"] === undefined &&
    parseContentType(header["content-type"] ?? null) !== undefined;
  if (plain) return undefined;
  const status = header[":status"] ?? 0;
  return validateResponseWithCompression([], status, webHeaders(header)).headerError;
}

/** Throws the error in the trailers (or in the headers of a trailers-only answer), as connect does. */
function checkTrailer(trailer: NodeHeaders | undefined, header: NodeHeaders): void {
  if (trailer?.["grpc-status"] === "0" && trailer["grpc-status-details-bin"] === undefined) return;
  validateTrailer(webHeaders(trailer), webHeaders(header));
}

function parse(method: Method, payload: Uint8Array) {
  try {
    return fromBinary(method.output, payload);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConnectError(`parse binary: ${reason}`, Code.Internal);
  }
}
