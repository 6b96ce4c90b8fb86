import type http2 from "node:http2";
import type net from "node:net";
import type { NodeHandler, OnePortServer } from "./one-port.js";

/**
 * Graceful shutdown for a one-port server: counts requests in flight, and on `close` stops
 * accepting connections, asks HTTP/2 clients to go away (GOAWAY), lets idle HTTP/1.1
 * connections go, waits for the in-flight requests up to a grace period, then destroys the rest.
 */
export function createDrain() {
  let inFlight = 0;
  let idle: (() => void) | undefined;
  let closing = false;
  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.Http2Session>();
  let server: OnePortServer | undefined;

  const done = () => {
    inFlight--;
    if (inFlight === 0) idle?.();
  };

  return {
    wrap(handler: NodeHandler): NodeHandler {
      return (req, res) => {
        inFlight++;
        res.once("close", done);
        if (closing && "shouldKeepAlive" in res) res.shouldKeepAlive = false;
        handler(req, res);
      };
    },
    watch(target: OnePortServer): void {
      server = target;
      target.listener.on("connection", (socket) => {
        sockets.add(socket);
        socket.once("close", () => sockets.delete(socket));
      });
      target.h2.on("session", (session) => {
        sessions.add(session);
        session.once("close", () => sessions.delete(session));
      });
    },
    async close(graceMs: number): Promise<void> {
      closing = true;
      const stopped = new Promise<void>((resolve) => server?.listener.close(() => resolve()));
      for (const session of sessions) session.close();
      server?.h1.closeIdleConnections();
      const drained =
        inFlight === 0
          ? Promise.resolve()
          : new Promise<void>((resolve) => {
              idle = resolve;
            });
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
      });
      await Promise.race([drained, grace]);
      clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      await stopped;
    },
  };
}
