import { createDrain } from "#shared/server/drain";
import { createOnePortServer } from "#shared/server/one-port";
import type { Gateway } from "./app.js";
import { answerClientError } from "./client-error.js";

/** A gateway port: HTTP/1.1 and h2c on one plaintext listener. */
export interface GatewayServer {
  readonly port: number;
  /**
   * Stops accepting, ends the streams under way cleanly (Gateway.drain), lets requests in
   * flight finish up to `graceMs`, then cuts the rest.
   */
  close(graceMs: number): Promise<void>;
}

/**
 * Listens on `port` for HTTP/1.1 (REST, gRPC-Web, Connect) and HTTP/2 cleartext (gRPC, and
 * anything else a client sends with prior knowledge), told apart by the connection's first
 * bytes as on the service ports. A request HTTP/1.1's parser refuses still gets the Connect
 * error shape.
 */
export async function listenGateway(
  gateway: Gateway,
  port: number,
  host: string,
): Promise<GatewayServer> {
  const drain = createDrain();
  const server = createOnePortServer(drain.wrap(gateway));
  // Longer than typical load-balancer idle timeouts, so they close first and never hit a reset.
  server.h1.keepAliveTimeout = 65_000;
  server.h1.on("clientError", answerClientError);
  drain.watch(server);
  await new Promise<void>((resolve, reject) => {
    server.listener.once("error", reject);
    server.listener.listen(port, host, resolve);
  });
  const address = server.listener.address();
  return {
    port: typeof address === "object" && address ? address.port : port,
    async close(graceMs) {
      // Streams never end by themselves: the gateway ends them cleanly as it stops accepting.
      // (A stream stuck mid-message is cut with the rest when the grace period ends.)
      const closed = drain.close(graceMs);
      await Promise.race([gateway.drain(), closed]);
      await closed;
    },
  };
}
