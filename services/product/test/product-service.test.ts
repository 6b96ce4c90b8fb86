import { randomUUID } from "node:crypto";
import { type Client, Code, createClient, type Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus } from "#gen/health/v1/health_pb";
import { ProductService } from "#gen/shop/product/v1/product_pb";
import { StockService } from "#gen/shop/product/v1/stock_pb";
import { asAdmin } from "#shared-test/auth";
import { codeOf } from "#shared-test/code-of";
import { startTestServer } from "#shared-test/service-harness";
import { createProductApp } from "../src/app.js";
import type { ProductSql } from "../src/db/connection.js";
import { openTestDatabase } from "./support/database.js";

let sql: ProductSql;
let server: Awaited<ReturnType<typeof startTestServer>>;

beforeAll(async () => {
  sql = await openTestDatabase();
  server = await startTestServer(createProductApp(sql));
});
afterAll(async () => {
  await server?.close(1000);
  await sql?.end();
});

const transports: Record<string, () => Transport> = {
  grpc: () => createGrpcTransport({ baseUrl: server.baseUrl, interceptors: [asAdmin()] }),
  "grpc-web over HTTP/1.1": () =>
    createGrpcWebTransport({
      baseUrl: server.baseUrl,
      interceptors: [asAdmin()],
      httpVersion: "1.1",
    }),
  "connect JSON over HTTP/1.1": () =>
    createConnectTransport({
      baseUrl: server.baseUrl,
      interceptors: [asAdmin()],
      httpVersion: "1.1",
      useBinaryFormat: false,
    }),
  "connect binary over HTTP/2": () =>
    createConnectTransport({
      baseUrl: server.baseUrl,
      interceptors: [asAdmin()],
      httpVersion: "2",
      useBinaryFormat: true,
    }),
};

describe.each(Object.entries(transports))("ProductService over %s", (_name, transport) => {
  let client: Client<typeof ProductService>;
  beforeAll(() => {
    client = createClient(ProductService, transport());
  });

  it("creates, reads, updates, lists and deletes a product with exact money", async () => {
    const category = `cat-${randomUUID()}`;
    const { product } = await client.createProduct({
      name: "Espresso cup",
      price: "0.10",
      stockQuantity: 7,
      category,
    });
    expect(product?.price).toBe("0.10");
    const id = product?.id ?? 0n;
    expect((await client.getProduct({ id })).product?.name).toBe("Espresso cup");

    const updated = await client.updateProduct({ id, price: "12.5", stockQuantity: 3 });
    expect(updated.product).toMatchObject({
      price: "12.50",
      stockQuantity: 3,
      name: "Espresso cup",
    });

    const page = await client.listProducts({ category });
    expect(page.products.map((p) => p.id)).toEqual([id]);
    expect(page.nextPageToken).toBe("");

    await client.deleteProduct({ id });
    expect(await codeOf(client.getProduct({ id }))).toBe(Code.NotFound);
  });

  it("lists a product exactly as GetProduct answers it, microseconds cut alike", async () => {
    const category = `cat-${randomUUID()}`;
    const { product } = await client.createProduct({
      name: "Milk jug",
      description: "steel",
      price: "1234567.8",
      stockQuantity: 2,
      category,
      imageUrl: "https://images.example.com/jug.png",
    });
    const id = product?.id ?? 0n;
    await sql`UPDATE products SET created_at = '2026-03-04 05:06:07.999999+00',
      updated_at = '2026-03-04 05:06:08.123999+00' WHERE id = ${id}`;
    const alone = (await client.getProduct({ id })).product;
    expect(alone?.createdAt).toMatchObject({ seconds: 1772600767n, nanos: 999_000_000 });
    expect((await client.listProducts({ category })).products).toEqual([alone]);
  });

  it("answers a page asked for again as it first did, and anew once a product on it changed", async () => {
    const category = `cat-${randomUUID()}`;
    for (const name of ["Bowl", "Cup"]) await client.createProduct({ name, price: "1", category });
    const first = await client.listProducts({ category, sort: "name", pageSize: 1 });
    // The second ask keeps the page, the next ones are answered from it.
    for (let ask = 0; ask < 3; ask++)
      expect(await client.listProducts({ category, sort: "name", pageSize: 1 })).toEqual(first);
    await client.updateProduct({ id: first.products[0]?.id ?? 0n, description: "deep" });
    const now = await client.listProducts({ category, sort: "name", pageSize: 1 });
    expect(now.products.map((p) => [p.name, p.description])).toEqual([["Bowl", "deep"]]);
  });

  it("answers NotFound for an unknown id and InvalidArgument for bad input", async () => {
    expect(await codeOf(client.getProduct({ id: 9_000_000_000_000n }))).toBe(Code.NotFound);
    expect(await codeOf(client.deleteProduct({ id: 9_000_000_000_000n }))).toBe(Code.NotFound);
    expect(await codeOf(client.updateProduct({ id: 9_000_000_000_000n, name: "x" }))).toBe(
      Code.NotFound,
    );
    expect(await codeOf(client.getProduct({ id: 0n }))).toBe(Code.InvalidArgument);
    expect(await codeOf(client.createProduct({ name: "", price: "1.00" }))).toBe(
      Code.InvalidArgument,
    );
    expect(await codeOf(client.createProduct({ name: "x", price: "1.001" }))).toBe(
      Code.InvalidArgument,
    );
    expect(await codeOf(client.createProduct({ name: "x", price: "-1" }))).toBe(
      Code.InvalidArgument,
    );
    expect(await codeOf(client.listProducts({ pageSize: 501 }))).toBe(Code.InvalidArgument);
    expect(await codeOf(client.listProducts({ sort: "random" }))).toBe(Code.InvalidArgument);
  });

  it("changes nothing when an update is refused", async () => {
    const { product } = await client.createProduct({
      name: "Kept",
      price: "5.00",
      stockQuantity: 2,
    });
    const id = product?.id ?? 0n;
    expect(await codeOf(client.updateProduct({ id, name: "New", price: "abc" }))).toBe(
      Code.InvalidArgument,
    );
    expect((await client.getProduct({ id })).product).toMatchObject({
      name: "Kept",
      price: "5.00",
    });
  });

  it("lists categories in use with their counts", async () => {
    const category = `cat-${randomUUID()}`;
    await client.createProduct({ name: "A", price: "1.00", category });
    await client.createProduct({ name: "B", price: "2.00", category });
    const { categories } = await client.listCategories({});
    expect(categories.find((c) => c.name === category)?.productCount).toBe(2n);
  });
});

describe("the product server's operational surface", () => {
  it("reports SERVING through grpc.health.v1 and refuses unknown services", async () => {
    const health = createClient(Health, createGrpcTransport({ baseUrl: server.baseUrl }));
    const overall = await health.check({});
    expect(overall.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    const named = await health.check({ service: ProductService.typeName });
    expect(named.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    expect(await codeOf(health.check({ service: "nope.Service" }))).toBe(Code.NotFound);
  });

  it("streams the serving status through Health.Watch and lists it through Health.List", async () => {
    const health = createClient(Health, createGrpcTransport({ baseUrl: server.baseUrl }));
    const abort = new AbortController();
    const updates = health.watch({ service: ProductService.typeName }, { signal: abort.signal });
    for await (const update of updates) {
      expect(update.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
      abort.abort();
      break;
    }
    const unknown = health.watch({ service: "nope.Service" });
    for await (const update of unknown) {
      expect(update.status).toBe(HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN);
      break;
    }
    const { statuses } = await health.list({});
    expect(Object.keys(statuses).sort()).toEqual([
      "",
      ProductService.typeName,
      StockService.typeName,
    ]);
  });

  it("answers /health, /ready and /metrics over plain HTTP/1.1", async () => {
    expect((await fetch(`${server.baseUrl}/health`)).status).toBe(200);
    const ready = await fetch(`${server.baseUrl}/ready`);
    expect(await ready.json()).toEqual({ status: "ready" });
    const client = createClient(
      ProductService,
      createGrpcTransport({ baseUrl: server.baseUrl, interceptors: [asAdmin()] }),
    );
    await codeOf(client.getProduct({ id: 9_000_000_000_001n }));
    const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(
      /shop_rpc_requests_total\{service="shop.product.v1.ProductService",method="GetProduct",code="not_found"\} \d+/,
    );
    expect(metrics).toContain("process_resident_memory_bytes");
    expect((await fetch(`${server.baseUrl}/nope`)).status).toBe(404);
  });

  it("is not ready when its database is unreachable", async () => {
    const { connectProductDatabase } = await import("../src/db/connection.js");
    const dead = connectProductDatabase({
      host: "127.0.0.1",
      port: 1,
      user: "shop",
      password: "",
      database: "none",
    });
    const app = createProductApp(dead);
    const lonely = await startTestServer(app);
    try {
      const ready = await fetch(`${lonely.baseUrl}/ready`);
      expect(ready.status).toBe(503);
      const health = createClient(Health, createGrpcTransport({ baseUrl: lonely.baseUrl }));
      expect((await health.check({})).status).toBe(HealthCheckResponse_ServingStatus.NOT_SERVING);
    } finally {
      await lonely.close(100);
      await dead.end();
    }
  });
});
