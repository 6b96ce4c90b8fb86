import net from "node:net";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ProductService } from "#gen/shop/product/v1/product_pb";
import { asAdmin } from "#shared-test/auth";
import { codeOf } from "#shared-test/code-of";
import { type PrivateDatabase, startPrivatePostgres } from "#shared-test/private-servers";
import { startTestServer } from "#shared-test/service-harness";
import { startTcpProxy } from "#shared-test/tcp-proxy";
import { createProductApp } from "../src/app.js";
import { connectProductDatabase, type ProductSql } from "../src/db/connection.js";
import { migrateProductDatabase } from "../src/db/migrate.js";

// The product service on a PostgreSQL of this file's own, which the tests stop and start.
let database: PrivateDatabase;
let sql: ProductSql;
let server: Awaited<ReturnType<typeof startTestServer>>;

beforeAll(async () => {
  database = await startPrivatePostgres();
  await migrateProductDatabase(database.settings("product_service"));
  sql = connectProductDatabase(database.settings("product_service"));
  server = await startTestServer(createProductApp(sql));
});
afterAll(async () => {
  await server?.close(100);
  await sql?.end({ timeout: 1 });
  await database?.close();
});

// Each call has a deadline, so a hang fails the test instead of stalling it.
const within = { timeoutMs: 15_000 };
const calls = () => {
  const products = createClient(
    ProductService,
    createGrpcTransport({ baseUrl: server.baseUrl, interceptors: [asAdmin()] }),
  );
  return {
    get: (id: bigint) => products.getProduct({ id }, within),
    create: () => products.createProduct({ name: "Kettle", price: "30.00" }, within),
    list: () => products.listProducts({}, within),
  };
};
const readyStatus = async () =>
  (await fetch(`${server.baseUrl}/ready`, { signal: AbortSignal.timeout(15_000) })).status;

describe("the product service while PostgreSQL is down", () => {
  it("answers Unavailable and is not ready, then recovers by itself when it returns", async () => {
    const call = calls();
    const id = (await call.create()).product?.id ?? 0n;
    await database.stop();

    expect(await codeOf(call.get(id))).toBe(Code.Unavailable);
    expect(await codeOf(call.list())).toBe(Code.Unavailable);
    expect(await codeOf(call.create())).toBe(Code.Unavailable);
    const json = await fetch(`${server.baseUrl}/shop.product.v1.ProductService/GetProduct`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: String(id) }),
      signal: AbortSignal.timeout(15_000),
    });
    expect(json.status).toBe(503);
    expect(await json.json()).toEqual({
      code: "unavailable",
      message: "product database (PostgreSQL) is unavailable",
    });
    expect(await readyStatus()).toBe(503);

    await database.start();
    await vi.waitFor(async () => expect(await readyStatus()).toBe(200), {
      timeout: 20_000,
      interval: 200,
    });
    expect((await call.get(id)).product?.name).toBe("Kettle");
    expect(await codeOf(call.create())).toBe("ok");
  });

  it("answers within its deadline when its connection to the database goes silent", async () => {
    const proxy = await startTcpProxy(database.port);
    const port = Number(new URL(proxy.url).port);
    const silent = connectProductDatabase({ ...database.settings("product_service"), port });
    const behindProxy = await startTestServer(createProductApp(silent));
    try {
      const products = createClient(
        ProductService,
        createGrpcTransport({ baseUrl: behindProxy.baseUrl, interceptors: [asAdmin()] }),
      );
      const { product } = await products.createProduct({ name: "Jug", price: "5.00" });
      const id = product?.id ?? 0n;
      proxy.freeze();
      const failure = await products.getProduct({ id }, within).catch(ConnectError.from);
      // the service's own answer, not the client giving up at its deadline
      expect(failure).toBeInstanceOf(ConnectError);
      expect((failure as ConnectError).rawMessage).toMatch(/^product database \(PostgreSQL\)/);
      expect([Code.DeadlineExceeded, Code.Unavailable]).toContain((failure as ConnectError).code);
      // the frozen connection costs its calls their deadline; new connections still serve
      expect((await products.getProduct({ id }, within)).product?.name).toBe("Jug");
    } finally {
      await behindProxy.close(100);
      await silent.end({ timeout: 0 });
      await proxy.close();
    }
  });

  it("answers Unavailable and is not ready when connections to the database hang", async () => {
    // accepts and never speaks, like a database host behind a dead network
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as net.AddressInfo;
    const hanging = connectProductDatabase({ ...database.settings("product_service"), port });
    const lonely = await startTestServer(createProductApp(hanging));
    try {
      const products = createClient(
        ProductService,
        createGrpcTransport({ baseUrl: lonely.baseUrl, interceptors: [asAdmin()] }),
      );
      expect(await codeOf(products.getProduct({ id: 1n }, within))).toBe(Code.Unavailable);
      const ready = await fetch(`${lonely.baseUrl}/ready`, { signal: AbortSignal.timeout(15_000) });
      expect(ready.status).toBe(503);
    } finally {
      await lonely.close(100);
      await hanging.end({ timeout: 0 });
      silent.close();
    }
  });
});
