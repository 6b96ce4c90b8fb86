/**
 * connect-node's transport as the services and the gateway use it: an upstream that drains
 * (GOAWAY on an idle session) must not take the calling process down.
 */
import http2 from "node:http2";
import { syncBuiltinESMExports } from "node:module";
import { createClient } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { afterEach, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus } from "#gen/health/v1/health_pb";
import { createConnectGrpcTransport } from "#shared/fast-grpc/connect-transport";

const connect = http2.connect;
afterEach(() => {
  http2.connect = connect;
  syncBuiltinESMExports();
});

/** Every client session http2.connect opens from now on, connect-node's included. */
function watchClientSessions(): http2.ClientHttp2Session[] {
  const sessions: http2.ClientHttp2Session[] = [];
  http2.connect = ((...args: Parameters<typeof connect>) => {
    const session = connect(...args);
    sessions.push(session);
    return session;
  }) as typeof connect;
  syncBuiltinESMExports();
  return sessions;
}

it("survives a GOAWAY on an idle session followed at once by a new call", async () => {
  const serverSessions: http2.ServerHttp2Session[] = [];
  const server = http2.createServer(
    connectNodeAdapter({
      routes: (router) =>
        router.service(Health, {
          check: () => ({ status: HealthCheckResponse_ServingStatus.SERVING }),
        }),
    }),
  );
  server.on("session", (session) => serverSessions.push(session));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  let onUncaught = (_: unknown) => {};
  const uncaught = new Promise((resolve) => {
    onUncaught = resolve;
  });
  process.on("uncaughtException", onUncaught);
  const clientSessions = watchClientSessions();
  const transport = createConnectGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` });
  const health = createClient(Health, transport);
  try {
    expect((await health.check({})).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    const [drained] = clientSessions;
    // The call made as the GOAWAY lands, before the destroyed session's socket has closed.
    const closed = new Promise((resolve) => drained?.once("close", resolve));
    const next = new Promise((resolve) => drained?.once("goaway", () => resolve(health.check({}))));
    serverSessions[0]?.goaway(http2.constants.NGHTTP2_NO_ERROR);
    expect(await next).toMatchObject({ status: HealthCheckResponse_ServingStatus.SERVING });
    // Node raises the destroyed session's error, if nobody listens, just before "close".
    expect(await Promise.race([closed.then(() => "closed"), uncaught])).toBe("closed");
    expect(clientSessions).toHaveLength(2);
  } finally {
    process.off("uncaughtException", onUncaught);
    transport.close();
    await new Promise((resolve) => server.close(resolve));
  }
});
