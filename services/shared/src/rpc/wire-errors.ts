import type http2 from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import { encodeEnvelope } from "@connectrpc/connect/protocol";
import {
  codeToHttpStatus,
  endStreamFlag,
  endStreamToJson,
  errorToJsonBytes,
} from "@connectrpc/connect/protocol-connect";
import { trailerFlag, trailerSerialize } from "@connectrpc/connect/protocol-grpc-web";
import type { NodeRequest, NodeResponse } from "../server/one-port.js";
import { setGrpcStatus } from "./grpc-status.js";

/**
 * How an RPC request expects to hear of an error, from its method, Content-Type and query (the
 * rules connect-node's handlers match requests by):
 * - `grpc`: HTTP 200, grpc-status/grpc-message as trailers — trailers-only before any message;
 * - `grpc-web`: HTTP 200, the status in a trailer frame (flag 0x80) in the body, as connect-node
 *   writes every gRPC-Web error; `text` when the request was base64 (`grpc-web-text`);
 * - `connect-unary`: the Connect error JSON with the HTTP status of Connect's code table;
 * - `connect-stream`: HTTP 200 and an end-of-stream message (flag 0x02) carrying the error.
 */
export type RpcWireForm =
  | { readonly protocol: "grpc"; readonly contentType: string }
  | { readonly protocol: "grpc-web"; readonly contentType: string; readonly text: boolean }
  | { readonly protocol: "connect-unary" }
  | { readonly protocol: "connect-stream"; readonly contentType: string };

/** `/<package>.<Service>/<Method>`: the path of a procedure in all three protocols. */
const procedurePath = /^\/([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)+)\/([A-Za-z_][\w]*)$/;

/** The service and method names of a procedure path, or undefined for any other path. */
export function procedureOf(path: string): { service: string; method: string } | undefined {
  const match = procedurePath.exec(path);
  return match ? { service: match[1] as string, method: match[2] as string } : undefined;
}

/**
 * The error form `req` expects when it is an RPC request (by Content-Type, or a Connect GET by
 * its query), undefined when it is none (a plain GET, a form post…).
 */
export function rpcWireFormOf(req: NodeRequest): RpcWireForm | undefined {
  const type = header(req, "content-type")?.split(";", 1)[0]?.trim().toLowerCase() ?? "";
  if (type.startsWith("application/grpc-web")) {
    const text = type.startsWith("application/grpc-web-text");
    return { protocol: "grpc-web", contentType: type, text };
  }
  if (type === "application/grpc" || type.startsWith("application/grpc+")) {
    return { protocol: "grpc", contentType: type };
  }
  if (type.startsWith("application/connect+")) {
    return { protocol: "connect-stream", contentType: type };
  }
  if (req.method === "POST") return { protocol: "connect-unary" };
  if (req.method === "GET" && /[?&](connect=v1|encoding=)/.test(req.url ?? "")) {
    return { protocol: "connect-unary" };
  }
  return undefined;
}

/**
 * The answer to a procedure nobody serves, in grpc-go's words: Unimplemented, "unknown service
 * X" or "unknown method M for service X" when X is among `services`.
 */
export function unknownProcedure(
  procedure: { service: string; method: string },
  services: ReadonlySet<string>,
): ConnectError {
  const { service, method } = procedure;
  const message = services.has(service)
    ? `unknown method ${method} for service ${service}`
    : `unknown service ${service}`;
  return new ConnectError(message, Code.Unimplemented);
}

/**
 * Answers Unimplemented for an unknown procedure: gRPC and gRPC-Web in their forms, Connect —
 * unary or streaming — with HTTP 404 (what connect-node's router answers, bodiless, and what
 * Connect clients read as unimplemented) and the Connect error JSON.
 */
export function writeUnknownProcedure(
  res: NodeResponse,
  form: RpcWireForm,
  error: ConnectError,
  headers?: Readonly<Record<string, string>>,
): void {
  const connect = form.protocol === "connect-unary" || form.protocol === "connect-stream";
  writeWireError(res, connect ? { protocol: "connect-unary" } : form, error, {
    headers,
    connectStatus: 404,
  });
}

export interface WireErrorOptions {
  /** Headers to send besides the protocol's own (x-request-id, Retry-After…). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Overrides Connect's HTTP status for `connect-unary` (404 for an unknown procedure). */
  readonly connectStatus?: number;
}

/**
 * Answers `error` in the form `form` asks for, as the complete response: nothing may have been
 * written to `res` yet. Headers set on `res` before (CORS, security) go out with it.
 */
export function writeWireError(
  res: NodeResponse,
  form: RpcWireForm,
  error: ConnectError,
  options: WireErrorOptions = {},
): void {
  const extra = options.headers ?? {};
  switch (form.protocol) {
    case "grpc": {
      const status = Object.fromEntries(setGrpcStatus(new Headers(), error));
      trailersOnly(res, { ...extra, "content-type": form.contentType, ...status });
      return;
    }
    case "grpc-web": {
      const body = endOfBody(form, error);
      complete(res, 200, { ...extra, "content-type": form.contentType }, body);
      return;
    }
    case "connect-unary": {
      const body = Buffer.from(errorToJsonBytes(error, undefined));
      const status = options.connectStatus ?? codeToHttpStatus(error.code);
      complete(res, status, { ...extra, "content-type": "application/json" }, body);
      return;
    }
    case "connect-stream": {
      complete(res, 200, { ...extra, "content-type": form.contentType }, endOfBody(form, error));
    }
  }
}

/**
 * The last frame of a gRPC-Web or Connect streaming body that ends with `error`: the trailer
 * frame (flag 0x80, base64 for grpc-web-text) or the end-of-stream message (flag 0x02).
 */
export function endOfBody(
  form: Extract<RpcWireForm, { protocol: "grpc-web" | "connect-stream" }>,
  error: ConnectError,
): Buffer {
  if (form.protocol === "connect-stream") {
    const json = JSON.stringify(endStreamToJson(new Headers(), error, undefined));
    return Buffer.from(encodeEnvelope(endStreamFlag, Buffer.from(json)));
  }
  const trailer = trailerSerialize(setGrpcStatus(new Headers(), error));
  const frame = Buffer.from(encodeEnvelope(trailerFlag, trailer));
  return form.text ? Buffer.from(frame.toString("base64")) : frame;
}

/**
 * gRPC's trailers-only response: one HEADERS frame with END_STREAM. Over HTTP/2 the stream
 * answers directly (the compatibility API would send an empty DATA frame to end it, and a
 * client then misses the status); over HTTP/1.1, which has no such thing, plain headers.
 */
function trailersOnly(res: NodeResponse, headers: Record<string, string>): void {
  const stream = (res as Partial<http2.Http2ServerResponse>).stream;
  if (stream) {
    if (stream.destroyed || stream.closed) return;
    stream.respond({ ...res.getHeaders(), ...headers, ":status": 200 }, { endStream: true });
    return;
  }
  complete(res, 200, headers, Buffer.alloc(0));
}

function complete(
  res: NodeResponse,
  status: number,
  headers: Record<string, string>,
  body: Buffer,
): void {
  (res as { writeHead(status: number, headers: object): void }).writeHead(status, {
    ...headers,
    "content-length": String(body.length),
  });
  res.end(body);
}

function header(req: NodeRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
