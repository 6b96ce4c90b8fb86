import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health } from "#gen/health/v1/health_pb";
import { ProductService } from "#gen/shop/product/v1/product_pb";
import { bearer } from "#shared-test/auth";
import { frames, h1Exchange, h2Exchange } from "#shared-test/wire";
import { HttpError } from "../src/errors.js";
import type { Admission, RateLimiter } from "../src/rate-limit.js";
import { startProxyGateway, startWatcher } from "./support/proxy-fixture.js";

// The answers the gateway makes itself — no upstream, a body over the limit, a refusal at
// admission — in each protocol's own form. No database: the upstreams are a stream fake or gone.

const nowhere = "http://127.0.0.1:9";
const getProduct = "/shop.product.v1.ProductService/GetProduct";
const watch = "/grpc.health.v1.Health/Watch";

function transports(baseUrl: string): Record<string, Transport> {
  return {
    gRPC: createGrpcTransport({ baseUrl }),
    "gRPC-Web": createGrpcWebTransport({ baseUrl, httpVersion: "1.1" }),
    "Connect JSON": createConnectTransport({ baseUrl, httpVersion: "1.1" }),
    "Connect binary over HTTP/2": createConnectTransport({
      baseUrl,
      httpVersion: "2",
      useBinaryFormat: true,
    }),
  };
}

async function failureOf(call: () => Promise<unknown>): Promise<ConnectError | "ok"> {
  try {
    await call();
    return "ok";
  } catch (error) {
    return ConnectError.from(error);
  }
}

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream) {
    // nothing to keep
  }
}

describe("an upstream that does not answer", () => {
  let gateway: Awaited<ReturnType<typeof startProxyGateway>>;
  beforeAll(async () => {
    gateway = await startProxyGateway({ urls: { product: nowhere, watcher: nowhere } });
  });
  afterAll(() => gateway?.close());

  it("is Unavailable to unary and streaming clients of every protocol", async () => {
    for (const [name, transport] of Object.entries(transports(gateway.baseUrl))) {
      const unary = await failureOf(() =>
        createClient(ProductService, transport).getProduct({ id: 1n }),
      );
      expect(unary, name).toMatchObject({
        code: Code.Unavailable,
        rawMessage: "product service is unavailable",
      });
      const stream = await failureOf(() => drain(createClient(Health, transport).watch({})));
      expect(stream, name).toMatchObject({ code: Code.Unavailable });
    }
  });

  it("is trailers-only status 14 for gRPC and a trailer frame for gRPC-Web", async () => {
    const grpc = await h2Exchange(
      gateway.baseUrl,
      getProduct,
      { "content-type": "application/grpc", te: "trailers" },
      Buffer.from([0, 0, 0, 0, 0]),
    );
    expect(grpc).toMatchObject({ status: 200, endedWithHeaders: true });
    expect(grpc.headers["grpc-status"]).toBe("14");
    expect(grpc.headers["x-request-id"]).toBeTruthy();
    const web = await h1Exchange(
      gateway.baseUrl,
      "POST",
      getProduct,
      { "content-type": "application/grpc-web+proto" },
      Buffer.from([0, 0, 0, 0, 0]),
    );
    expect(web.status).toBe(200);
    expect(frames(web.body).map((f) => [f.flags, f.data.toString()])).toEqual([
      [0x80, "grpc-message: product service is unavailable\r\ngrpc-status: 14\r\n"],
    ]);
  });

  it("is HTTP 503 unavailable for Connect unary, an end-of-stream error for Connect streaming", async () => {
    const unary = await h1Exchange(
      gateway.baseUrl,
      "POST",
      getProduct,
      { "content-type": "application/json" },
      Buffer.from("{}"),
    );
    expect(unary.status).toBe(503);
    expect(JSON.parse(unary.body.toString())).toEqual({
      code: "unavailable",
      message: "product service is unavailable",
    });
    const stream = await h1Exchange(
      gateway.baseUrl,
      "POST",
      watch,
      { "content-type": "application/connect+json" },
      Buffer.from([0, 0, 0, 0, 2, 0x7b, 0x7d]),
    );
    expect(stream.status).toBe(200);
    const [end] = frames(stream.body);
    expect(end?.flags).toBe(0x02);
    expect(JSON.parse(end?.data.toString() ?? "")).toMatchObject({
      error: { code: "unavailable", message: "watcher service is unavailable" },
    });
  });
});

describe("a proxied request over the size limit", () => {
  let gateway: Awaited<ReturnType<typeof startProxyGateway>>;
  let watcher: Awaited<ReturnType<typeof startWatcher>>;
  beforeAll(async () => {
    watcher = await startWatcher();
    gateway = await startProxyGateway({
      urls: { product: nowhere, watcher: watcher.baseUrl },
      options: { maxBodyBytes: 1024 },
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await watcher?.close();
  });
  const big = "x".repeat(4000);

  it("is ResourceExhausted to clients of every protocol, and never reaches the upstream", async () => {
    const started = watcher.seen.started;
    for (const [name, transport] of Object.entries(transports(gateway.baseUrl))) {
      const failure = await failureOf(() =>
        drain(createClient(Health, transport).watch({ service: big })),
      );
      expect(failure, name).toMatchObject({
        code: Code.ResourceExhausted,
        rawMessage: "request body exceeds the limit of 1024 bytes",
      });
    }
    expect(watcher.seen.started).toBe(started);
  });

  it("is counted as the body streams in when no Content-Length announces it (gRPC)", async () => {
    const body = Buffer.concat([Buffer.from([0, 0, 0, 0x0f, 0xa0]), Buffer.alloc(4000, 1)]);
    const reply = await h2Exchange(
      gateway.baseUrl,
      watch,
      { "content-type": "application/grpc", te: "trailers" },
      body,
    );
    expect(reply).toMatchObject({ status: 200, endedWithHeaders: true });
    expect(reply.headers["grpc-status"]).toBe("8");
  });

  it("is HTTP 429 resource_exhausted for Connect unary, with the connection closed", async () => {
    const reply = await h1Exchange(
      gateway.baseUrl,
      "POST",
      getProduct,
      { "content-type": "application/json" },
      Buffer.from(JSON.stringify({ id: "1", pad: big })),
    );
    expect(reply.status).toBe(429);
    expect(JSON.parse(reply.body.toString())).toMatchObject({ code: "resource_exhausted" });
  });

  it("is 413 for a REST body, also over HTTP/2", async () => {
    const reply = await h2Exchange(
      gateway.baseUrl,
      "/products",
      { "content-type": "application/json", ...(await bearer("admin", { admin: true })) },
      Buffer.from(JSON.stringify({ name: big })),
    );
    expect(reply.status).toBe(413);
  });
});

describe("admission, the one gate before REST and proxy", () => {
  let gateway: Awaited<ReturnType<typeof startProxyGateway>>;
  let watcher: Awaited<ReturnType<typeof startWatcher>>;
  const seen: Record<string, unknown>[] = [];
  beforeAll(async () => {
    watcher = await startWatcher();
    gateway = await startProxyGateway({
      urls: { product: nowhere, watcher: watcher.baseUrl },
      admission: async (request) => {
        const { kind, httpMethod, label, pathParams, subject, requestId, rpc } = request;
        seen.push({ kind, httpMethod, label, pathParams, subject, requestId, rpc: rpc?.name });
        if (request.req.headers["x-test-admit"] !== "ok") {
          throw new HttpError(401, Code.Unauthenticated, `no token for ${request.label}`, {
            "www-authenticate": "Bearer",
          });
        }
        return { "ratelimit-remaining": "41" };
      },
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await watcher?.close();
  });

  it("refuses REST and every RPC protocol alike, each in its own form", async () => {
    const rest = await h1Exchange(gateway.baseUrl, "GET", "/products/1", {});
    expect(rest.status).toBe(401);
    expect(rest.headers["www-authenticate"]).toBe("Bearer");
    expect(JSON.parse(rest.body.toString())).toMatchObject({ code: "unauthenticated" });
    const grpc = await h2Exchange(
      gateway.baseUrl,
      watch,
      { "content-type": "application/grpc", te: "trailers" },
      Buffer.from([0, 0, 0, 0, 0]),
    );
    expect(grpc).toMatchObject({ status: 200, endedWithHeaders: true });
    expect(grpc.headers).toMatchObject({ "grpc-status": "16", "www-authenticate": "Bearer" });
    for (const [name, transport] of Object.entries(transports(gateway.baseUrl))) {
      const failure = await failureOf(() => drain(createClient(Health, transport).watch({})));
      expect(failure, name).toMatchObject({ code: Code.Unauthenticated });
    }
  });

  it("is told what each request is: kind, verb, route, decoded path variables", async () => {
    seen.length = 0;
    const id = { "x-request-id": "adm-1" };
    await h1Exchange(gateway.baseUrl, "GET", "/baskets/a%2Fb%20c", id);
    await h1Exchange(gateway.baseUrl, "GET", "/health", id);
    await h1Exchange(gateway.baseUrl, "POST", "/grpc.health.v1.Health/Check", {
      ...id,
      "content-type": "application/json",
    });
    expect(seen).toEqual([
      {
        kind: "rest",
        httpMethod: "GET",
        label: "GET /baskets/{user_id}",
        pathParams: { user_id: "a/b c" },
        subject: undefined,
        requestId: "adm-1",
        rpc: "GetBasket",
      },
      { kind: "builtin", label: "GET /health", pathParams: {}, requestId: "adm-1" },
      {
        kind: "rpc",
        label: "/grpc.health.v1.Health/Check",
        pathParams: {},
        requestId: "adm-1",
        rpc: "Check",
      },
    ]);
  });

  it("adds its headers to admitted answers, proxied ones included", async () => {
    const reply = await h1Exchange(
      gateway.baseUrl,
      "POST",
      "/grpc.health.v1.Health/Check",
      { "content-type": "application/json", "x-test-admit": "ok" },
      Buffer.from("{}"),
    );
    expect(reply.status).toBe(200);
    expect(reply.headers["ratelimit-remaining"]).toBe("41");
  });
});

describe("rate limits through the admission step", () => {
  let gateway: Awaited<ReturnType<typeof startProxyGateway>>;
  let watcher: Awaited<ReturnType<typeof startWatcher>>;
  const counted: { ip: string; routeClass: string }[] = [];
  beforeAll(async () => {
    watcher = await startWatcher();
    // A limiter allowing two requests in all, whatever the class, then refusing. Health has no
    // google.api.http rule: its calls count as changes ("write"); GET /products/{id} is catalogue.
    const limiter: RateLimiter = {
      async admit(caller, routeClass): Promise<Admission> {
        counted.push({ ip: caller.ip, routeClass });
        if (counted.length <= 2)
          return { kind: "allowed", headers: { "ratelimit-remaining": "1" } };
        return { kind: "limited", headers: { "retry-after": "7" }, retryAfter: 7 };
      },
    };
    gateway = await startProxyGateway({
      urls: { product: nowhere, watcher: watcher.baseUrl },
      rateLimiter: limiter,
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await watcher?.close();
  });

  it("count proxied calls like REST ones, and refuse them in the caller's protocol", async () => {
    const client = createClient(Health, createGrpcTransport({ baseUrl: gateway.baseUrl }));
    await drain(client.watch({}));
    const rest = await h1Exchange(gateway.baseUrl, "GET", "/health", {});
    expect(rest.status).toBe(200); // builtins are not counted
    const connect = await h1Exchange(
      gateway.baseUrl,
      "POST",
      "/grpc.health.v1.Health/Check",
      { "content-type": "application/json" },
      Buffer.from("{}"),
    );
    expect(connect.headers["ratelimit-remaining"]).toBe("1");
    const grpc = await h2Exchange(
      gateway.baseUrl,
      watch,
      { "content-type": "application/grpc", te: "trailers" },
      Buffer.from([0, 0, 0, 0, 0]),
    );
    expect(grpc).toMatchObject({ status: 200, endedWithHeaders: true });
    expect(grpc.headers).toMatchObject({ "grpc-status": "8", "retry-after": "7" });
    const restLimited = await h1Exchange(gateway.baseUrl, "GET", "/products/1", {});
    expect(restLimited.status).toBe(429);
    expect(counted.map((c) => c.routeClass)).toEqual(["write", "write", "write", "catalogue"]);
    expect(new Set(counted.map((c) => c.ip))).toEqual(new Set(["127.0.0.1"]));
  });
});
