import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { create, type DescMethod, type DescMethodUnary, ScalarType } from "@bufbuild/protobuf";
import { Code, ConnectError, type Transport } from "@connectrpc/connect";
import { createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import type { Redis } from "ioredis";
import type { Pool } from "mysql2/promise";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Audience } from "#gen/shop/auth/v1/auth_pb";
import { StockService } from "#gen/shop/product/v1/stock_pb";
import { localRedis } from "#scripts/dev-stores";
import { type ServiceName, services } from "#services";
import { mintServiceToken } from "#shared/auth/identity";
import { ruleOf } from "#shared/auth/rules";
import { createMetrics } from "#shared/metrics";
import { createServiceTransport } from "#shared/rpc/client";
import {
  asService,
  bearer,
  testAuthSettings,
  testGatewayVerifier,
  userToken,
} from "#shared-test/auth";
import { startTestServer } from "#shared-test/service-harness";
import { createBasketApp } from "../../services/basket/src/app.js";
import { connectRedis } from "../../services/basket/src/redis/connection.js";
import { createNotificationApp } from "../../services/notification/src/app.js";
import { openTestDatabase as openNotificationDatabase } from "../../services/notification/test/support/database.js";
import { createPaymentApp } from "../../services/payment/src/app.js";
import { openTestDatabase as openPaymentDatabase } from "../../services/payment/test/support/database.js";
import { createProductApp } from "../../services/product/src/app.js";
import type { ProductSql } from "../../services/product/src/db/connection.js";
import { openTestDatabase } from "../../services/product/test/support/database.js";
import { createGateway } from "../src/app.js";
import { deriveRoutes, type Route } from "../src/routes.js";
import { serviceBindings } from "../src/services.js";
import { createGrpcUpstream } from "../src/upstream.js";

// The real chain, as in end-to-end.test.ts: gateway → product, basket, payment on real stores,
// each service checking tokens with its own interceptor. Rules come from the protos, so the
// tables below cover every RPC a new annotation adds.
let sql: ProductSql;
let redis: Redis;
let payments: Pool;
let gateway: Server;
let base: string;
const logLines: string[] = [];
const servers: Partial<
  Record<ServiceName, { baseUrl: string; close(ms?: number): Promise<void> }>
> = {};
const closers: (() => unknown)[] = [];

beforeAll(async () => {
  sql = await openTestDatabase();
  redis = connectRedis(localRedis("test"));
  payments = await openPaymentDatabase();
  const asShop = { timeoutMs: 2000, interceptors: [asService("test")] };
  const product = await startTestServer(createProductApp(sql));
  const products = createServiceTransport({ urls: [product.baseUrl], ...asShop });
  const basket = await startTestServer(createBasketApp({ redis, products, ttlSeconds: 600 }));
  const baskets = createServiceTransport({ urls: [basket.baseUrl], ...asShop });
  const payment = await startTestServer(
    createPaymentApp({
      pool: payments,
      basket: baskets,
      product: products,
      logger: pino({ level: "silent" }),
      ttlSeconds: 900,
      shopCurrency: "USD",
      sweepIntervalMs: 60_000,
    }),
  );
  const notificationSql = await openNotificationDatabase();
  const notificationApp = await createNotificationApp(notificationSql, {
    logger: pino({ level: "silent" }),
    metrics: createMetrics(),
    heartbeatMs: 15_000,
  });
  const notification = await startTestServer(notificationApp);
  closers.push(
    () => notificationApp.hub.close(),
    () => notification.close(500),
    () => notificationSql.end(),
  );
  Object.assign(servers, { product, basket, payment, notification });
  const upstream = (server: { baseUrl: string }) =>
    createGrpcUpstream([server.baseUrl], { timeoutMs: 5000 });
  const up = {
    product: upstream(product),
    basket: upstream(basket),
    payment: upstream(payment),
    notification: upstream(notification),
  };
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  gateway = createServer(
    createGateway({
      upstreams: up,
      logger: pino({ level: "debug" }, sink),
      metrics: createMetrics(),
      verifier: testGatewayVerifier,
    }),
  );
  await new Promise<void>((resolve) => gateway.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
  closers.push(
    () => Promise.all(Object.values(up).map((u) => u.close())),
    () => products.close(),
    () => baskets.close(),
  );
});
afterAll(async () => {
  await new Promise((resolve) => gateway?.close(resolve));
  for (const close of closers) await close();
  for (const server of Object.values(servers)) await server?.close(500);
  await payments?.end();
  await sql?.end();
  redis?.disconnect();
});

type Reply = {
  status: number;
  json: { code?: string; message?: string } & Record<string, unknown>;
  headers: Headers;
};

async function rest(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Reply["json"], headers: res.headers };
}

const routes = deriveRoutes(serviceBindings);
const routesOf = (audience: Audience, owned?: boolean) =>
  routes.filter((route) => {
    const rule = ruleOf(route.rpc);
    return (
      rule.audience === audience && (owned === undefined || owned === Boolean(rule.ownerField))
    );
  });

/** A concrete request for `route` that names `user` wherever the route names a user. */
function requestFor(route: Route, user: string): [method: string, path: string, body?: object] {
  // Users by name, payment ids (strings) as fresh UUIDs, product ids (int64) as 1.
  const path = route.template.replace(/\{([a-z_]+)(=[^}]*)?\}/g, (_, name: string) => {
    if (name === "user_id") return user;
    const field = route.rpc.input.fields.find((candidate) => candidate.name === name);
    return field?.fieldKind === "scalar" && field.scalar === ScalarType.STRING ? randomUUID() : "1";
  });
  // Only fields the request has (unknown ones are a 400 at the gateway, before any rule).
  const sample: Record<string, unknown> = { user_id: user, quantity: 1, method: "card", name: "x" };
  const fields = new Set(route.rpc.input.fields.map((field) => field.name));
  const body = route.body
    ? Object.fromEntries(Object.entries(sample).filter(([name]) => fields.has(name)))
    : undefined;
  return [route.httpMethod, path, body];
}
const label = (route: Route) => route.label;

describe("over REST through the gateway", () => {
  it.each(routesOf(Audience.OWNER, true).map((route) => [label(route), route] as const))(
    "%s with another user's token is 403 permission_denied",
    async (_, route) => {
      const [method, path, body] = requestFor(route, `alice-${randomUUID()}`);
      const reply = await rest(method, path, body, await bearer("bob"));
      expect(reply.status).toBe(403);
      expect(reply.json).toMatchObject({ code: "permission_denied", details: [] });
    },
  );

  it.each(routesOf(Audience.OWNER, true).map((route) => [label(route), route] as const))(
    "%s with an admin's token for another user is 403 too",
    async (_, route) => {
      const [method, path, body] = requestFor(route, `alice-${randomUUID()}`);
      const reply = await rest(method, path, body, await bearer("root", { admin: true }));
      expect(reply.status).toBe(403);
    },
  );

  it.each(routesOf(Audience.ADMIN).map((route) => [label(route), route] as const))(
    "%s as a plain user is 403; anonymous is 401",
    async (_, route) => {
      const [method, path, body] = requestFor(route, "alice");
      const reply = await rest(method, path, body, await bearer("alice"));
      expect(reply).toMatchObject({ status: 403, json: { code: "permission_denied" } });
      expect((await rest(method, path, body)).status).toBe(401);
    },
  );

  it("covers every user-scoped and admin route the protos declare", () => {
    expect(routesOf(Audience.OWNER, true).map(label).length).toBeGreaterThanOrEqual(9);
    expect(routesOf(Audience.ADMIN).map(label)).toEqual(
      expect.arrayContaining(["POST /products", "GET /payments", "POST /payments/{id}/refund"]),
    );
  });

  it("lets anonymous callers read the catalogue, health, metrics and the OpenAPI document only", async () => {
    for (const path of ["/products", "/categories", "/health", "/metrics", "/openapi.json"]) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).toBe(200);
    }
    expect((await rest("GET", "/products/424242")).status).toBe(404);
    for (const route of routes.filter((r) => ruleOf(r.rpc).audience !== Audience.PUBLIC)) {
      const [method, path, body] = requestFor(route, "alice");
      const reply = await rest(method, path, body);
      expect(reply.status, route.label).toBe(401);
      expect(reply.headers.get("www-authenticate"), route.label).toBe(
        'Bearer realm="connect-shop"',
      );
    }
  });

  const badTokens: [string, () => Promise<string>, string][] = [
    ["a malformed header", async () => "Bearer", "invalid_request"],
    ["another scheme", async () => "Basic YWxpY2U6cHc=", "invalid_request"],
    ["a malformed token", async () => "Bearer abc.def", "invalid_token"],
    ["a forged token", async () => `Bearer ${await forged("alice")}`, "invalid_token"],
    ["an expired token", async () => `Bearer ${await expired("alice")}`, "invalid_token"],
    ["an alg: none token", async () => `Bearer ${unsigned("alice")}`, "invalid_token"],
    [
      "a service token (the edge admits users only)",
      async () =>
        `Bearer ${await mintServiceToken("payment", testAuthSettings.serviceSecret as Uint8Array)}`,
      "invalid_token",
    ],
  ];
  it.each(badTokens)(
    "%s is 401 with the Connect error shape and WWW-Authenticate",
    async (_, header, error) => {
      const authorization = await header();
      for (const path of ["/baskets/alice", "/products"]) {
        const reply = await rest("GET", path, undefined, { authorization });
        expect(reply.status, path).toBe(401);
        expect(reply.json).toEqual({
          code: "unauthenticated",
          message: expect.any(String),
          details: [],
        });
        expect(reply.headers.get("www-authenticate")).toMatch(
          new RegExp(`^Bearer realm="connect-shop", error="${error}", error_description="[^"]+"$`),
        );
      }
    },
  );

  it("checks a payment's owner on the stored record: another user gets 403 and changes nothing", async () => {
    const alice = `alice-${randomUUID()}`;
    const asAlice = await bearer(alice);
    const product = await rest(
      "POST",
      "/products",
      { name: "Auth mug", price: "3.00", stock_quantity: 5 },
      await bearer("root", { admin: true }),
    );
    expect(product.status).toBe(201);
    const added = await rest(
      "POST",
      `/baskets/${alice}/items`,
      { product_id: product.json.id, quantity: 1 },
      asAlice,
    );
    expect(added.status).toBe(200);
    const created = await rest("POST", "/payments", { user_id: alice, method: "card" }, asAlice);
    expect(created.status).toBe(201);
    const id = created.json.id as string;

    for (const intruder of [await bearer("bob"), await bearer("root", { admin: true })]) {
      expect((await rest("GET", `/payments/${id}`, undefined, intruder)).status).toBe(403);
      const process = await rest(
        "POST",
        `/payments/${id}/process`,
        { payment_token: "tok_visa" },
        intruder,
      );
      expect(process).toMatchObject({ status: 403, json: { code: "permission_denied" } });
      expect((await rest("POST", `/payments/${id}/cancel`, {}, intruder)).status).toBe(403);
      // A body naming alice does not make bob alice.
      const listed = await rest("GET", `/users/${alice}/payments`, undefined, intruder);
      expect(listed.status).toBe(403);
    }
    const mine = await rest("GET", `/payments/${id}`, undefined, asAlice);
    expect(mine).toMatchObject({ status: 200, json: { id, status: "PAYMENT_STATUS_PENDING" } });
    const cancelled = await rest("POST", `/payments/${id}/cancel`, {}, asAlice);
    expect(cancelled.json.status).toBe("PAYMENT_STATUS_CANCELLED");
  });

  it("never writes a token into the gateway's log", async () => {
    const token = await userToken("log-watcher");
    await rest("GET", "/baskets/log-watcher", undefined, { authorization: `Bearer ${token}` });
    await rest("GET", "/baskets/someone-else", undefined, { authorization: `Bearer ${token}` });
    await rest("GET", "/products", undefined, { authorization: `Bearer ${token}x` });
    const text = logLines.join("");
    expect(text).toContain("/baskets/{user_id}");
    expect(text).not.toContain(token.split(".")[2] as string);
  });
});

/** Every unary method of every listed service (StockService included), with its server. */
function methods() {
  const all = services.flatMap(({ name, serves }) =>
    [...serves, ...(name === "product" ? [StockService] : [])].flatMap((service) =>
      service.methods.map((method) => ({ server: name, method })),
    ),
  );
  return all.filter(({ method }) => method.methodKind === "unary") as {
    server: ServiceName;
    method: DescMethodUnary;
  }[];
}

const transports: Record<string, (baseUrl: string) => Transport> = {
  gRPC: (baseUrl) => createGrpcTransport({ baseUrl }),
  "gRPC-Web": (baseUrl) => createGrpcWebTransport({ baseUrl, httpVersion: "1.1" }),
};

/** One direct call to a service, bypassing the gateway; resolves the code it ends with. */
async function direct(
  protocol: string,
  server: ServiceName,
  method: DescMethodUnary,
  fields: Record<string, unknown>,
  authorization?: string,
): Promise<Code | "ok"> {
  const transport = (transports[protocol] as (url: string) => Transport)(
    servers[server]?.baseUrl as string,
  );
  const header: Record<string, string> = authorization ? { authorization } : {};
  try {
    await transport.unary(method, undefined, 5000, header, create(method.input, fields as never));
    return "ok";
  } catch (error) {
    return ConnectError.from(error).code;
  }
}

const named = (list: ReturnType<typeof methods>) =>
  list.map(
    ({ server, method }) => [`${method.parent.name}.${method.name}`, server, method] as const,
  );

describe.each(Object.keys(transports))("straight to the services over %s", (protocol) => {
  const owned = methods().filter(({ method }) => ruleOf(method).ownerField);
  it.each(named(owned))(
    "%s with another user's token is PermissionDenied",
    async (_, server, method) => {
      const field = ruleOf(method).ownerField as string;
      const alice = `alice-${randomUUID()}`;
      expect(
        await direct(
          protocol,
          server,
          method,
          { [field]: alice },
          `Bearer ${await userToken("bob")}`,
        ),
      ).toBe(Code.PermissionDenied);
      expect(await direct(protocol, server, method, { [field]: alice })).toBe(Code.Unauthenticated);
    },
  );

  const admin = methods().filter(({ method }) => ruleOf(method).audience === Audience.ADMIN);
  it.each(named(admin))(
    "%s as a plain user, or as a service, is PermissionDenied",
    async (_, server, method) => {
      expect(await direct(protocol, server, method, {}, `Bearer ${await userToken("alice")}`)).toBe(
        Code.PermissionDenied,
      );
      const service = await mintServiceToken(
        "payment",
        testAuthSettings.serviceSecret as Uint8Array,
      );
      expect(await direct(protocol, server, method, {}, `Bearer ${service}`)).toBe(
        Code.PermissionDenied,
      );
    },
  );

  const internal = methods().filter(({ method }) => ruleOf(method).audience === Audience.SERVICE);
  it.each(named(internal))(
    "%s is internal: PermissionDenied for a user, even an admin; open to a service token",
    async (_, server, method) => {
      const fields = { reservationId: `auth-${randomUUID()}` };
      for (const user of [await userToken("alice"), await userToken("root", { admin: true })]) {
        expect(await direct(protocol, server, method, fields, `Bearer ${user}`)).toBe(
          Code.PermissionDenied,
        );
      }
      expect(await direct(protocol, server, method, fields)).toBe(Code.Unauthenticated);
      const service = await mintServiceToken(
        "payment",
        testAuthSettings.serviceSecret as Uint8Array,
      );
      const answer = await direct(protocol, server, method, fields, `Bearer ${service}`);
      expect([Code.PermissionDenied, Code.Unauthenticated]).not.toContain(answer);
    },
  );

  it("refuses forged, expired, alg: none and malformed tokens with Unauthenticated", async () => {
    const { method } = owned.find((m) => m.method.name === "GetBasket") as {
      method: DescMethodUnary;
    };
    for (const header of [
      `Bearer ${await forged("alice")}`,
      `Bearer ${await expired("alice")}`,
      `Bearer ${unsigned("alice")}`,
      "Bearer not.a.jwt",
      "Basic YWxpY2U6cHc=",
    ]) {
      expect(await direct(protocol, "basket", method, { userId: "alice" }, header), header).toBe(
        Code.Unauthenticated,
      );
    }
  });

  it("covers every RPC: each one declares a rule", () => {
    const undeclared = methods().filter(
      ({ method }) => ruleOf(method).audience === Audience.UNSPECIFIED,
    );
    expect(undeclared.map(({ method }: { method: DescMethod }) => method.name)).toEqual([]);
    expect(internal.map(({ method }) => method.name)).toEqual(
      expect.arrayContaining(["ReserveStock", "CommitStock", "ReleaseStock"]),
    );
  });
});

const enc = (text: string) => new TextEncoder().encode(text);
const forged = (user: string) => userToken(user, { secret: enc("not-the-secret-".repeat(3)) });
const expired = (user: string) =>
  userToken(user, { expiresAt: Math.floor(Date.now() / 1000) - 120 });
function unsigned(user: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const exp = Math.floor(Date.now() / 1000) + 600;
  const claims = {
    iss: "connect-shop-test",
    aud: "connect-shop",
    sub: user,
    exp,
    roles: ["admin"],
  };
  return `${part({ alg: "none", typ: "JWT" })}.${part(claims)}.`;
}
