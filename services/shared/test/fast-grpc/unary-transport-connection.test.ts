/**
 * The lean unary gRPC client's connection handling (lazy connect, reconnect, failures as
 * Unavailable, close) and its interceptors, compared with connect-node's transport where a
 * caller could tell them apart.
 */
import { setTimeout as delay } from "node:timers/promises";
import {
  Code,
  ConnectError,
  createClient,
  type Interceptor,
  type Transport,
} from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { pino } from "pino";
import { describe, expect, it, vi } from "vitest";
import { Health, HealthCheckResponse_ServingStatus } from "#gen/health/v1/health_pb";
import { type GetProductRequest, ProductService } from "#gen/shop/product/v1/product_pb";
import { createGrpcUnaryTransport } from "#shared/fast-grpc/unary-transport";
import { createMetrics } from "#shared/metrics";
import { bindService, startServiceServer } from "#shared/server/service-server";
import { startTcpProxy } from "../support/tcp-proxy.js";

/**
 * GetProduct that waits `id` ms, and names the product after the x-via request header;
 * `onCall` hears of each call as it arrives.
 */
function products(onCall: () => void) {
  const unused = () => {
    throw new Error("not used");
  };
  return bindService(ProductService, {
    async getProduct(req: GetProductRequest, ctx) {
      onCall();
      await delay(Number(req.id), undefined, { signal: ctx.signal });
      return { product: { id: req.id, name: ctx.requestHeader.get("x-via") ?? "" } };
    },
    createProduct: unused,
    listProducts: unused,
    updateProduct: unused,
    deleteProduct: unused,
    listCategories: unused,
  });
}

/** A server of `products()`; `calls()` counts the calls that reached the handler. */
async function start(port = 0) {
  let calls = 0;
  const server = await startServiceServer({
    name: "test",
    host: "127.0.0.1",
    port,
    services: [products(() => calls++)],
    logger: pino({ level: "silent" }),
    metrics: createMetrics(),
    isReady: async () => true,
  });
  return { ...server, calls: () => calls };
}

/** Resolves once `condition` holds; the events waited for here take milliseconds. */
const until = (condition: () => boolean) =>
  vi.waitFor(() => expect(condition()).toBe(true), { timeout: 10_000 });

const get = (transport: Transport, id = 1n) =>
  createClient(ProductService, transport).getProduct({ id });

async function failure(call: Promise<unknown>): Promise<ConnectError> {
  return call.then(
    () => expect.fail("the call succeeded"),
    (error) => ConnectError.from(error),
  );
}

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
    async (how) => {
      const server = await start();
      const proxy = await startTcpProxy(server.port);
      const transport = createGrpcUnaryTransport({ baseUrl: proxy.url });
      try {
        const inFlight = failure(get(transport, 500n));
        await until(() => server.calls() === 1);
        if (how === "reset") proxy.cut();
        else proxy.hangUp();
        const error = await inFlight;
        expect(error.code).toBe(Code.Unavailable);
        if (how === "reset") expect(error.cause).toMatchObject({ code: "ECONNRESET" });
        expect((await get(transport)).product?.id).toBe(1n);
        expect(proxy.connections()).toBe(2);
      } finally {
        transport.close();
        await proxy.close();
        await server.close(100);
      }
    },
  );

  it("replaces a connection that stops answering, found by a PING after a missed deadline", async () => {
    const server = await start();
    const proxy = await startTcpProxy(server.port);
    const transport = createGrpcUnaryTransport({ baseUrl: proxy.url, pingTimeoutMs: 100 });
    try {
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
    } finally {
      transport.close();
      await proxy.close();
      await server.close(100);
    }
  });

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

describe("the unary gRPC transport's interceptors", () => {
  /** Two interceptors that log their order, tag the request and read the call's signal. */
  function tracing(log: string[]): Interceptor[] {
    return ["a", "b"].map((name) => (next) => async (req) => {
      log.push(`${name} ${req.method.name} ${req.header.get("content-type")}`);
      req.header.append("x-via", name);
      const response = await next(req);
      log.push(`${name} done ${req.signal.aborted} ${response.header.get("content-type")}`);
      return response;
    });
  }

  it("run as on connect's transport", async () => {
    const server = await start();
    const baseUrl = `http://127.0.0.1:${server.port}`;
    const logs: [string[], string[]] = [[], []];
    const ours = createGrpcUnaryTransport({ baseUrl, interceptors: tracing(logs[0]) });
    const transports = [ours, createGrpcTransport({ baseUrl, interceptors: tracing(logs[1]) })];
    try {
      const names = await Promise.all(transports.map(async (t) => (await get(t)).product?.name));
      expect(names).toEqual(["a, b", "a, b"]);
      expect(logs[0]).toEqual(logs[1]);
      const failing: Interceptor = () => async () => {
        throw new Error("interceptor broke");
      };
      const broken = createGrpcUnaryTransport({ baseUrl, interceptors: [failing] });
      const error = await failure(get(broken));
      expect([Code[error.code], error.rawMessage]).toEqual(["Unknown", "interceptor broke"]);
      broken.close();
    } finally {
      ours.close();
      await server.close(100);
    }
  });
});
