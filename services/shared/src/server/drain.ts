import type http2 from "node:http2";
import type net from "node:net";
import type { NodeHandler, OnePortServer, StreamHandler } from "./one-port.js";

/**
 * Graceful shutdown for a one-port server: counts requests in flight (through `wrap`, and the
 * HTTP/2 streams served without node's compatibility layer through `wrapStreams`), and on `close` stops
 * accepting connections (new ones are refused), asks HTTP/2 clients to go away (GOAWAY, also on
 * a session that connected just before), lets idle HTTP/1.1 connections go, and waits — up to
 * a grace period — for the in-flight requests and then for every connection to close by itself,
 * so each GOAWAY reaches its client; whatever outlives the grace period is destroyed.
 */
export function createDrain() {
  let inFlight = 0;
  let idle: (() => void) | undefined;
  let closing = false;
  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.Http2Session>();
  // node's closeIdleConnections() does nothing on a server that never listened itself (ours is
  // fed by the one-port listener), so HTTP/1.1 requests per socket are counted here.
  const h1Sockets = new Map<net.Socket, number>();
  const closeIdleH1 = () => {
    for (const [socket, requests] of h1Sockets) if (requests === 0) socket.destroy();
  };
  let server: OnePortServer | undefined;

  const done = () => {
    inFlight--;
    if (inFlight === 0) idle?.();
  };
  const drained = () =>
    inFlight === 0
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          idle = resolve;
        });
  // HTTP/1.1 sockets close after their last response (no keep-alive while closing) or idle.
  const socketsClosed = async () => {
    closeIdleH1();
    await Promise.all(
      [...sockets].map((socket) => new Promise((resolve) => socket.once("close", resolve))),
    );
  };

  return {
    wrap(handler: NodeHandler): NodeHandler {
      return (req, res) => {
        inFlight++;
        const h1 = "shouldKeepAlive" in res ? req.socket : undefined;
        if (h1) h1Sockets.set(h1, (h1Sockets.get(h1) ?? 0) + 1);
        res.once("close", () => {
          if (h1 && h1Sockets.has(h1)) h1Sockets.set(h1, (h1Sockets.get(h1) ?? 1) - 1);
          done();
        });
        if (closing && "shouldKeepAlive" in res) res.shouldKeepAlive = false;
        handler(req, res);
      };
    },
    /** `handler`, each stream it takes counted in flight until the stream closes. */
    wrapStreams(handler: StreamHandler): StreamHandler {
      return (stream, headers, rawHeaders) => {
        if (!handler(stream, headers, rawHeaders)) return false;
        // A stream emits 'close' on a later tick, never inside the handler that took it.
        inFlight++;
        stream.once("close", done);
        return true;
      };
    },
    /** Requests and taken streams in flight now. */
    inFlight: () => inFlight,
    watch(target: OnePortServer): void {
      server = target;
      target.listener.on("connection", (socket) => {
        sockets.add(socket);
        socket.once("close", () => sockets.delete(socket));
      });
      target.h1.on("connection", (socket: net.Socket) => {
        h1Sockets.set(socket, 0);
        socket.once("close", () => h1Sockets.delete(socket));
      });
      target.h2.on("session", (session) => {
        sessions.add(session);
        session.once("close", () => sessions.delete(session));
        // Accepted just before the listener closed: tell it to go away before it sends a call
        // (its streams are refused unprocessed, so clients retry them elsewhere).
        if (closing) session.close();
      });
    },
    async close(graceMs: number): Promise<void> {
      closing = true;
      const stopped = new Promise<void>((resolve) => server?.listener.close(() => resolve()));
      // GOAWAY: a session ends by itself once its last stream has, flushing what it wrote.
      for (const session of sessions) session.close();
      closeIdleH1();
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
      });
      await Promise.race([drained().then(socketsClosed), grace]);
      clearTimeout(timer);
      // Only what outlived the grace period is cut; destroying a socket earlier could drop
      // its GOAWAY unsent, and a client would not know its last streams went unprocessed.
      for (const socket of sockets) socket.destroy();
      await stopped;
    },
  };
}
