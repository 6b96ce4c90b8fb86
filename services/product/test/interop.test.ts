import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProductService } from "#gen/shop/product/v1/product_pb";
import { asAdmin } from "#shared-test/auth";
import { type GrpcJsClient, loadGrpcJsClient } from "#shared-test/grpc-js-client";
import { startTestServer } from "#shared-test/service-harness";
import { createProductApp } from "../src/app.js";
import type { ProductSql } from "../src/db/connection.js";
import { openTestDatabase } from "./support/database.js";

const root = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
const run = promisify(execFile);

let sql: ProductSql;
let server: Awaited<ReturnType<typeof startTestServer>>;
let productId: bigint;
const category = `cat-${randomUUID()}`;

beforeAll(async () => {
  sql = await openTestDatabase();
  server = await startTestServer(createProductApp(sql));
  const client = createClient(
    ProductService,
    createGrpcTransport({ baseUrl: server.baseUrl, interceptors: [asAdmin()] }),
  );
  const { product } = await client.createProduct({
    name: "Interop kettle",
    price: "24.99",
    stockQuantity: 4,
    category,
  });
  productId = product?.id ?? 0n;
});
afterAll(async () => {
  await server?.close(1000);
  await sql?.end();
});

describe("a @grpc/grpc-js client that loads the .proto files at run time", () => {
  let client: GrpcJsClient;
  beforeAll(() => {
    client = loadGrpcJsClient(
      "shop/product/v1/product.proto",
      "shop.product.v1.ProductService",
      `127.0.0.1:${server.port}`,
    );
  });
  afterAll(() => client?.close());
  const call = <T>(method: string, request: object) => client.call<T>(method, request);

  it("calls GetProduct", async () => {
    const response = await call<{ product: Record<string, unknown> }>("GetProduct", {
      id: productId.toString(),
    });
    expect(response.product).toMatchObject({
      id: productId.toString(),
      name: "Interop kettle",
      price: "24.99",
      stockQuantity: 4,
    });
  });

  it("calls ListProducts with a filter", async () => {
    const response = await call<{ products: { id: string }[] }>("ListProducts", { category });
    expect(response.products.map((p) => p.id)).toEqual([productId.toString()]);
  });

  it("sees NOT_FOUND as a gRPC status", async () => {
    await expect(call("GetProduct", { id: "8999999999999" })).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
    });
  });
});

describe("buf curl through server reflection", () => {
  it.each(["grpc", "grpcweb", "connect"])(
    "reaches GetProduct with --protocol %s",
    async (protocol) => {
      const { stdout } = await run(root("node_modules/.bin/buf"), [
        "curl",
        "--protocol",
        protocol,
        "--http2-prior-knowledge",
        "--data",
        JSON.stringify({ id: productId.toString() }),
        `${server.baseUrl}/shop.product.v1.ProductService/GetProduct`,
      ]);
      expect(JSON.parse(stdout).product).toMatchObject({ name: "Interop kettle", price: "24.99" });
    },
  );

  it("lists the services, health and reflection included", async () => {
    const { stdout } = await run(root("node_modules/.bin/buf"), [
      "curl",
      "--http2-prior-knowledge",
      "--list-services",
      server.baseUrl,
    ]);
    expect(stdout.split("\n").filter(Boolean).sort()).toEqual([
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
      "shop.product.v1.ProductService",
      "shop.product.v1.StockService",
    ]);
  });
});
