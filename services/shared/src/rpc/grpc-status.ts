import type { OutgoingHttpHeaders } from "node:http";
import type { Http2ServerResponse } from "node:http2";
import type { ConnectError } from "@connectrpc/connect";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import type { NodeHandler, NodeRequest, NodeResponse } from "../server/one-port.js";

const GRPC_MESSAGE = "grpc-message";

/**
 * `grpc-message` as the gRPC protocol spells it (PROTOCOL-HTTP2.md, "Status-Message"): the UTF-8
 * bytes of `text`, each byte outside 0x20–0x7E and "%" itself written as %XX, all else as is.
 */
export function encodeGrpcMessage(text: string): string {
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    out +=
      byte < 0x20 || byte > 0x7e || byte === 0x25
        ? `%${byte.toString(16).toUpperCase().padStart(2, "0")}`
        : String.fromCharCode(byte);
  }
  return out;
}

/**
 * connect-es writes `grpc-message` with `encodeURIComponent`, which also escapes ":", ",", "/",
 * "?" and the like; grpc-js decodes with `decodeURI`, which leaves those escaped, so its users
 * read "user_id%3A must…". Rewritten in the spec's form, every gRPC client reads the message.
 */
export function respellGrpcMessage(value: string): string {
  try {
    return encodeGrpcMessage(decodeURIComponent(value));
  } catch {
    return value;
  }
}

/** connect's `setTrailerStatus`, with `grpc-message` in the gRPC spec's own encoding. */
export function setGrpcStatus(target: Headers, error: ConnectError | undefined): Headers {
  setTrailerStatus(target, error);
  const message = target.get(GRPC_MESSAGE);
  if (message !== null) target.set(GRPC_MESSAGE, respellGrpcMessage(message));
  return target;
}

type HeaderRecord = Record<string, string | string[] | number | undefined>;

/** `headers` with its `grpc-message`, if any, respelled (connect-node writes it as plain records). */
export function respellGrpcMessageIn<T extends HeaderRecord | undefined>(headers: T): T {
  const value = headers?.[GRPC_MESSAGE];
  if (typeof value === "string" && headers)
    return { ...headers, [GRPC_MESSAGE]: respellGrpcMessage(value) };
  return headers;
}

/**
 * Makes `res` respell `grpc-message` on a gRPC answer over HTTP/2 (headers of a trailers-only
 * answer, or trailers), for connect-node's own handler, which writes connect-es's spelling.
 * gRPC-Web carries its status in the body and is left alone (its clients decode with
 * `decodeURIComponent`, which reads either spelling).
 */
export function respellGrpcMessagesOn(req: NodeRequest, res: NodeResponse): void {
  const type = req.headers["content-type"];
  if (!("stream" in res) || !type?.startsWith("application/grpc")) return;
  if (type.startsWith("application/grpc-web")) return;
  const h2 = res as Http2ServerResponse;
  const writeHead = h2.writeHead.bind(h2) as (status: number, headers?: HeaderRecord) => unknown;
  const addTrailers = h2.addTrailers.bind(h2);
  Object.assign(h2, {
    writeHead: (status: number, headers?: HeaderRecord) =>
      writeHead(status, respellGrpcMessageIn(headers)),
    addTrailers: (trailers: HeaderRecord) =>
      addTrailers(respellGrpcMessageIn(trailers) as OutgoingHttpHeaders),
  });
}

/** `handler`, its gRPC answers respelled by {@link respellGrpcMessagesOn}. */
export function withGrpcMessageRespelled(handler: NodeHandler): NodeHandler {
  return (req, res) => {
    respellGrpcMessagesOn(req, res);
    handler(req, res);
  };
}
