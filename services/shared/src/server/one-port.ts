import http from "node:http";
import http2 from "node:http2";
import net from "node:net";

import type { connectNodeAdapter } from "@connectrpc/connect-node";

/** A request handler for both node:http and node:http2, as connect-node makes them. */
export type NodeHandler = ReturnType<typeof connectNodeAdapter>;
export type NodeRequest = Parameters<NodeHandler>[0];
export type NodeResponse = Parameters<NodeHandler>[1];

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
 */
export function createOnePortServer(handler: NodeHandler): OnePortServer {
  const h1 = http.createServer({ keepAliveTimeout: 65_000 }, handler);
  const h2 = http2.createServer({}, handler);
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
