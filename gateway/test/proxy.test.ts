import { randomUUID } from "node:crypto";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { Health, HealthCheckResponse_ServingStatus as Status } from "#gen/health/v1/health_pb";
import { ProductService } from "#gen/shop/product/v1/product_pb";
import { asAdmin, bearer } from "#shared-test/auth";
import { loadGrpcJsClient } from "#shared-test/grpc-js-client";
import { startTestServer } from "#shared-test/service-harness";
import { describeUnknownProcedures } from "#shared-test/unknown-procedure-cases";
import { h1Exchange } from "#shared-test/wire";
import { createProductApp } from "../../services/product/src/app.js";
import type { ProductSql } from "../../services/product/src/db/connection.js";
import { openTestDatabase } from "../../services/product/test/support/database.js";
import { startProxyGateway, startWatcher } from "./support/proxy-fixture.js";

// gRPC, gRPC-Web and Connect through the gateway's one port to a real product service
// (PostgreSQL) and a streaming test upstream.
let sql: ProductSql;
let product: Awaited<ReturnType<typeof startTestServer>>;
let watcher: Awaited<ReturnType<typeof startWatcher>>;
let gateway: Awaited<ReturnType<typeof startProxyGateway>>;
let productId: bigint;

beforeAll(async () => {
  sql = await openTestDatabase();
  product = await startTestServer(createProductApp(sql));
  watcher = await startWatcher();
  gateway = await startProxyGateway({
    urls: { product: product.baseUrl, watcher: watcher.baseUrl },
  });
  const transport = createGrpcTransport({ baseUrl: gateway.baseUrl, interceptors: [asAdmin()] });
  const client = createClient(ProductService, transport);
  const { product: created } = await client.createProduct({
    name: "Proxied teapot",
    price: "19.90",
    stockQuantity: 3,
    category: `proxy-${randomUUID()}`,
  });
  productId = created?.id ?? 0n;
});
afterAll(async () => {
  await gateway?.close();
  await watcher?.close();
  await product?.close(500);
  await sql?.end();
});

/** Every protocol a Connect-family client speaks, through the gateway. */
function transports(): Record<string, Transport> {
  const baseUrl = gateway.baseUrl;
  return {
    "gRPC (createGrpcTransport)": createGrpcTransport({ baseUrl }),
    "gRPC-Web over HTTP/1.1": createGrpcWebTransport({ baseUrl, httpVersion: "1.1" }),
    "gRPC-Web over HTTP/2": createGrpcWebTransport({ baseUrl, httpVersion: "2" }),
    "Connect JSON over HTTP/1.1": createConnectTransport({ baseUrl, httpVersion: "1.1" }),
    "Connect binary over HTTP/1.1": createConnectTransport({
      baseUrl,
      httpVersion: "1.1",
      useBinaryFormat: true,
    }),
    "Connect binary over HTTP/2": createConnectTransport({
      baseUrl,
      httpVersion: "2",
      useBinaryFormat: true,
    }),
  };
}

describe("unary calls through the gateway", () => {
  it("reach the product service on every protocol", async () => {
    for (const [name, transport] of Object.entries(transports())) {
      const client = createClient(ProductService, transport);
      const { product: found } = await client.getProduct({ id: productId });
      expect(found?.name, name).toBe("Proxied teapot");
    }
  });

  it("reach it from a @grpc/grpc-js client loading the .proto at run time", async () => {
    const address = new URL(gateway.baseUrl).host;
    const client = loadGrpcJsClient(
      "shop/product/v1/product.proto",
      "shop.product.v1.ProductService",
      address,
    );
    try {
      const reply = await client.call<{ product: { name: string } }>("GetProduct", {
        id: productId.toString(),
      });
      expect(reply.product.name).toBe("Proxied teapot");
      await expect(client.call("GetProduct", { id: "987654321" })).rejects.toMatchObject({
        code: Code.NotFound,
        details: "product 987654321 not found",
      });
    } finally {
      client.close();
    }
  });

  it("pass the service's own errors through in each protocol's form", async () => {
    for (const [name, transport] of Object.entries(transports())) {
      const client = createClient(ProductService, transport);
      const failure = await client
        .getProduct({ id: 987654321n })
        .catch((e) => ConnectError.from(e));
      expect(failure, name).toMatchObject({
        code: Code.NotFound,
        rawMessage: "product 987654321 not found",
      });
    }
    const reply = await h1Exchange(
      gateway.baseUrl,
      "POST",
      "/shop.product.v1.ProductService/GetProduct",
      { "content-type": "application/json", "x-request-id": "trace-me-1" },
      Buffer.from('{"id":"987654321"}'),
    );
    expect(reply.status).toBe(404);
    expect(reply.headers["x-request-id"]).toBe("trace-me-1");
    expect(JSON.parse(reply.body.toString())).toMatchObject({ code: "not_found" });
  });

  it("answer a Connect GET (idempotent procedures) like the service does", async () => {
    const message = encodeURIComponent(JSON.stringify({ id: productId.toString() }));
    const reply = await h1Exchange(
      gateway.baseUrl,
      "GET",
      `/shop.product.v1.ProductService/GetProduct?connect=v1&encoding=json&message=${message}`,
      {},
    );
    // GetProduct is not marked idempotent: connect-node refuses GET with 405, as it would directly.
    const direct = await h1Exchange(
      product.baseUrl,
      "GET",
      `/shop.product.v1.ProductService/GetProduct?connect=v1&encoding=json&message=${message}`,
      {},
    );
    expect(reply.status).toBe(direct.status);
  });
});

describe("a server stream through the gateway", () => {
  it("arrives message by message on gRPC, gRPC-Web and Connect", async () => {
    for (const [name, transport] of Object.entries(transports())) {
      const statuses: Status[] = [];
      for await (const answer of createClient(Health, transport).watch({ service: "" })) {
        statuses.push(answer.status);
      }
      expect(statuses, name).toEqual([Status.SERVING, Status.NOT_SERVING]);
    }
  });

  it("forwards the caller's authorization header and adds x-request-id", async () => {
    const client = createClient(Health, createGrpcTransport({ baseUrl: gateway.baseUrl }));
    const headers = await bearer("alice");
    for await (const _ of client.watch({ service: "" }, { headers })) {
      // drain
    }
    expect(watcher.seen.headers.get("authorization")).toBe(headers.authorization);
    expect(watcher.seen.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("is cancelled upstream when the client cancels, on every protocol", async () => {
    for (const [name, transport] of Object.entries(transports())) {
      const aborted = watcher.seen.aborted;
      const controller = new AbortController();
      const statuses: Status[] = [];
      const call = (async () => {
        const stream = createClient(Health, transport).watch(
          { service: "forever" },
          { signal: controller.signal },
        );
        for await (const answer of stream) {
          statuses.push(answer.status);
          if (statuses.length === 2) controller.abort();
        }
      })();
      await expect(call, name).rejects.toMatchObject({ code: Code.Canceled });
      await vi.waitFor(() => expect(watcher.seen.aborted, name).toBe(aborted + 1), {
        timeout: 5000,
      });
    }
  });

  it("ends with DeadlineExceeded at the client's deadline, and upstream too", async () => {
    for (const [name, transport] of Object.entries(transports())) {
      const aborted = watcher.seen.aborted;
      const call = (async () => {
        const stream = createClient(Health, transport).watch(
          { service: "forever" },
          { timeoutMs: 300 },
        );
        for await (const _ of stream) {
          // two statuses, then the stream stays open
        }
      })();
      await expect(call, name).rejects.toMatchObject({ code: Code.DeadlineExceeded });
      await vi.waitFor(() => expect(watcher.seen.aborted, name).toBe(aborted + 1), {
        timeout: 5000,
      });
    }
  });
});

describe("through the gateway,", () => {
  // ProductService is proxied, NopeService is not: the same answers as on a service port.
  describeUnknownProcedures(() => gateway);
});
