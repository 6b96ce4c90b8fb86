/**
 * The lean unary gRPC client's connection handling (lazy connect, reconnect, failures as
 * Unavailable, close), compared with connect-node's transport where a caller could tell them
 * apart.
 */
import { Code, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { describe, expect, it, vi } from "vitest";
import { Health, HealthCheckResponse_ServingStatus } from "#gen/health/v1/health_pb";
import { ProductService } from "#gen/shop/product/v1/product_pb";
import { createGrpcUnaryTransport } from "#shared/fast-grpc/unary-transport";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js";
import { failure, get, start } from "./support/waiting-products.js";

/** Runs `test` with a server, a TCP proxy to it and a lean transport through the proxy. */
async function throughProxy(
  options: { pingTimeoutMs?: number },
  test: (setup: {
    server: Awaited<ReturnType<typeof start>>;
    proxy: TcpProxy;
    transport: ReturnType<typeof createGrpcUnaryTransport>;
  }) => Promise<void>,
): Promise<void> {
  const server = await start();
  const proxy = await startTcpProxy(server.port);
  const transport = createGrpcUnaryTransport({ ...options, baseUrl: proxy.url });
  try {
    await test({ server, proxy, transport });
  } finally {
    transport.close();
    await proxy.close();
    await server.close(100);
  }
}

/** Resolves once `condition` holds; the events waited for here take milliseconds. */
const until = (condition: () => boolean) =>
  vi.waitFor(() => expect(condition()).toBe(true), { timeout: 10_000 });

describe("the unary gRPC transport's connection", () => {
  it("reports a server that is down as Unavailable, with the node error as cause", async () => {
    const server = await start();
    await server.close(0);
    const url = `http://127.0.0.1:${server.port}`;
    const transport = createGrpcUnaryTransport({ baseUrl: url });
    const error = await failure(get(transport));
    expect(error.code).toBe(Code.Unavailable);
    expect(error.rawMessage).toBe(
      `upstream unavailable: connect ECONNREFUSED 127.0.0.1:${server.port}`,
    );
    expect(error.cause).toMatchObject({ code: "ECONNREFUSED" });
    expect((await failure(get(createGrpcTransport({ baseUrl: url })))).code).toBe(Code.Unavailable);
    transport.close();
  });

  it("reports an unresolvable host as Unavailable", async () => {
    const transport = createGrpcUnaryTransport({ baseUrl: "http://no-such-host.invalid:8080" });
    const error = await failure(get(transport));
    expect(error.code).toBe(Code.Unavailable);
    expect(error.cause).toMatchObject({ syscall: "getaddrinfo" });
    transport.close();
  });

  it("reconnects to a server restarted on the same port", async () => {
    const first = await start();
    const transport = createGrpcUnaryTransport({ baseUrl: `http://127.0.0.1:${first.port}` });
    try {
      expect((await get(transport)).product?.id).toBe(1n);
      await first.close(100);
      expect((await failure(get(transport))).code).toBe(Code.Unavailable);
      const second = await start(first.port);
      expect((await get(transport)).product?.id).toBe(1n);
      await second.close(100);
    } finally {
      transport.close();
    }
  });

  it.each(["reset", "closed"] as const)(
    "fails calls on a connection %s under them as Unavailable, then reconnects",
    (how) =>
      throughProxy({}, async ({ server, proxy, transport }) => {
        const inFlight = failure(get(transport, 500n));
        await until(() => server.calls() === 1);
        if (how === "reset") proxy.cut();
        else proxy.hangUp();
        const error = await inFlight;
        expect(error.code).toBe(Code.Unavailable);
        if (how === "reset") expect(error.cause).toMatchObject({ code: "ECONNRESET" });
        expect((await get(transport)).product?.id).toBe(1n);
        expect(proxy.connections()).toBe(2);
      }),
  );

  it("replaces a connection that stops answering, found by a PING after a missed deadline", () =>
    throughProxy({ pingTimeoutMs: 100 }, async ({ proxy, transport }) => {
      expect((await get(transport)).product?.id).toBe(1n);
      proxy.freeze();
      const call = createClient(ProductService, transport).getProduct(
        { id: 1n },
        { timeoutMs: 50 },
      );
      expect((await failure(call)).code).toBe(Code.DeadlineExceeded);
      // The unanswered PING makes the client drop the frozen connection.
      await until(() => proxy.closed() === 1);
      expect((await get(transport)).product?.id).toBe(1n);
      expect(proxy.connections()).toBe(2);
    }));

  it("delegates streaming calls to connect's transport", async () => {
    const server = await start();
    const transport = createGrpcUnaryTransport({ baseUrl: `http://127.0.0.1:${server.port}` });
    try {
      for await (const status of createClient(Health, transport).watch({ service: "" })) {
        expect(status.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
        break;
      }
    } finally {
      transport.close();
      await server.close(100);
    }
  });

  it("fails calls in flight on close and refuses later ones", async () => {
    const server = await start();
    const transport = createGrpcUnaryTransport({ baseUrl: `http://127.0.0.1:${server.port}` });
    try {
      const inFlight = failure(get(transport, 500n));
      await until(() => server.calls() === 1);
      transport.close();
      expect((await inFlight).code).toBe(Code.Unavailable);
      expect((await failure(get(transport))).code).toBe(Code.Unavailable);
    } finally {
      await server.close(100);
    }
  });
});
