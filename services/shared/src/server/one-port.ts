import http from "node:http";
import http2 from "node:http2";
import net from "node:net";

import type { connectNodeAdapter } from "@connectrpc/connect-node";

/** A request handler for both node:http and node:http2, as connect-node makes them. */
export type NodeHandler = ReturnType<typeof connectNodeAdapter>;
export type NodeRequest = Parameters<NodeHandler>[0];
export type NodeResponse = Parameters<NodeHandler>[1];

/**
 * Serves an HTTP/2 stream straight from node's `ServerHttp2Stream` and returns true, or returns
 * false, having touched nothing, to leave the stream to the `NodeHandler` (node's compatibility
 * request and response).
 */
export type StreamHandler = (
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  rawHeaders: string[],
) => boolean;

/** Both HTTP servers behind one plaintext port, and the listener that feeds them. */
export interface OnePortServer {
  readonly listener: net.Server;
  readonly h1: http.Server;
  readonly h2: http2.Http2Server;
}

/**
 * Serves HTTP/2 cleartext (gRPC) and HTTP/1.1 (gRPC-Web, Connect, plain GETs) on one port.
 * Node's http2 server accepts HTTP/1.1 only over TLS, so each new connection is routed by its
 * first bytes: the HTTP/2 client preface starts with "PRI", no HTTP/1.1 request does.
 * With `streams`, every HTTP/2 stream is offered to it first, and only those it declines get a
 * compatibility request and response for `handler`.
 */
export function createOnePortServer(handler: NodeHandler, streams?: StreamHandler): OnePortServer {
  const h1 = http.createServer({ keepAliveTimeout: 65_000 }, handler);
  const h2 = http2.createServer({}, handler);
  if (streams) offerStreamsFirst(h2, streams);
  const listener = net.createServer({ noDelay: true }, (socket) => {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      if (head.length < 3) return;
      socket.off("data", onData);
      socket.pause();
      socket.unshift(head);
      if (head.toString("latin1", 0, 3) === "PRI") {
        // http2 takes over the socket's handle and first drains what is already buffered.
        h2.emit("connection", socket);
      } else {
        h1.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
    socket.on("error", () => socket.destroy());
  });
  return { listener, h1, h2 };
}

/**
 * Puts `first` in front of node's compatibility layer. Node (24, lib/internal/http2/core.js
 * `setupCompat`) makes the compatibility request and response of every stream in a 'stream'
 * listener, compat.js's `onServerStream`, that it adds as soon as the server has a 'request'
 * listener. That listener is taken off and called here only for the streams `first` declines,
 * rather than rebuilt: node's own function keeps its handling of CONNECT, `Expect` and the
 * server's request and response classes. Should a node version stop installing it that way,
 * the server refuses to start instead of answering differently.
 */
function offerStreamsFirst(h2: http2.Http2Server, first: StreamHandler): void {
  const [compat, ...others] = h2.listeners("stream");
  if (compat === undefined || others.length > 0)
    throw new Error("node's http2 server has no single compatibility 'stream' listener to wrap");
  h2.off("stream", compat as never);
  h2.on("stream", (stream, headers, flags, rawHeaders) => {
    if (!first(stream, headers, rawHeaders)) compat.call(h2, stream, headers, flags, rawHeaders);
  });
}

/**
 * The compatibility request and response node would have made for `stream` (compat.js's
 * `onServerStream`, the server's default classes), for a stream a `StreamHandler` took and then
 * hands to a `NodeHandler` after all. Node's classes are public; only their constructors are
 * undocumented, hence this one place.
 */
export function compatExchange(
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  rawHeaders: string[],
): { req: http2.Http2ServerRequest; res: http2.Http2ServerResponse } {
  type RequestClass = new (
    stream: http2.ServerHttp2Stream,
    headers: http2.IncomingHttpHeaders,
    options: undefined,
    rawHeaders: string[],
  ) => http2.Http2ServerRequest;
  type ResponseClass = new (stream: http2.ServerHttp2Stream) => http2.Http2ServerResponse;
  const req = new (http2.Http2ServerRequest as unknown as RequestClass)(
    stream,
    headers,
    undefined,
    rawHeaders,
  );
  const res = new (http2.Http2ServerResponse as unknown as ResponseClass)(stream);
  return { req, res };
}
