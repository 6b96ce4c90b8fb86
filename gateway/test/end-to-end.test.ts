import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Redis } from "ioredis";
import type { Pool } from "mysql2/promise";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localRedis } from "#scripts/dev-stores";
import { createMetrics } from "#shared/metrics";
import { createServiceTransport } from "#shared/rpc/client";
import { asService, bearer, testGatewayVerifier } from "#shared-test/auth";
import { startTestServer } from "#shared-test/service-harness";
import { createBasketApp } from "../../services/basket/src/app.js";
import { connectRedis } from "../../services/basket/src/redis/connection.js";
import type { NotificationApp } from "../../services/notification/src/app.js";
import type { NotificationSql } from "../../services/notification/src/db/connection.js";
import { notificationOf } from "../../services/notification/src/domain/notification.js";
import {
  testApp as notificationTestApp,
  openTestDatabase as openNotificationDatabase,
} from "../../services/notification/test/support/database.js";
import { createPaymentApp } from "../../services/payment/src/app.js";
import { openTestDatabase as openPaymentDatabase } from "../../services/payment/test/support/database.js";
import { createProductApp } from "../../services/product/src/app.js";
import type { ProductSql } from "../../services/product/src/db/connection.js";
import { openTestDatabase } from "../../services/product/test/support/database.js";
import { createGateway } from "../src/app.js";
import { createGrpcUpstream } from "../src/upstream.js";
import { readLines } from "./support/ndjson.js";

// The real chain: curl-like requests → gateway → product (PostgreSQL) and basket (Redis) → product.
let sql: ProductSql;
let redis: Redis;
let product: Awaited<ReturnType<typeof startTestServer>>;
let basket: Awaited<ReturnType<typeof startTestServer>>;
let payment: Awaited<ReturnType<typeof startTestServer>>;
let payments: Pool;
let notifications: NotificationSql;
let notificationApp: NotificationApp;
let notification: Awaited<ReturnType<typeof startTestServer>>;
let gateway: Server;
let base: string;
const upstreams: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  sql = await openTestDatabase();
  redis = connectRedis(localRedis("test"));
  product = await startTestServer(createProductApp(sql));
  const asShop = { timeoutMs: 2000, interceptors: [asService()] };
  const products = createServiceTransport({ urls: [product.baseUrl], ...asShop });
  basket = await startTestServer(createBasketApp({ redis, products, ttlSeconds: 600 }));
  payments = await openPaymentDatabase();
  const baskets = createServiceTransport({ urls: [basket.baseUrl], ...asShop });
  payment = await startTestServer(
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
  notifications = await openNotificationDatabase();
  notificationApp = await notificationTestApp(notifications);
  notification = await startTestServer(notificationApp);
  const upstream = (server: { baseUrl: string }, name: string) =>
    createGrpcUpstream([server.baseUrl], { timeoutMs: 5000, name: `${name} service` });
  const up = {
    product: upstream(product, "product"),
    basket: upstream(basket, "basket"),
    payment: upstream(payment, "payment"),
    notification: upstream(notification, "notification"),
  };
  upstreams.push(...Object.values(up));
  const handler = createGateway({
    upstreams: up,
    logger: pino({ level: "silent" }),
    metrics: createMetrics(),
    verifier: testGatewayVerifier,
  });
  gateway = createServer(handler);
  await new Promise<void>((resolve) => gateway.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
});
afterAll(async () => {
  gateway?.closeAllConnections();
  gateway?.close();
  await Promise.all(upstreams.map((upstream) => upstream.close()));
  await notificationApp?.hub.close();
  await notification?.close(500);
  await notifications?.end();
  await payment?.close(500);
  await payments?.end();
  await basket?.close(500);
  await product?.close(500);
  await sql?.end();
  redis?.disconnect();
});

/** Curl-like requests to the gateway with a bearer token of `caller`. */
const restAs = (caller: { user: string; admin?: boolean }) =>
  async function rest(method: string, path: string, body?: unknown) {
    const auth = await bearer(caller.user, { admin: caller.admin });
    const res = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? auth : { "content-type": "application/json", ...auth },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    // biome-ignore lint/suspicious/noExplicitAny: JSON from the wire, asserted field by field
    return { status: res.status, json: (await res.json()) as any, headers: res.headers };
  };
const ADMIN = { user: "e2e-admin", admin: true };

describe("product REST paths end to end", () => {
  const rest = restAs(ADMIN);
  it("creates, reads, lists, updates and deletes with the documented status codes", async () => {
    const category = `e2e-${randomUUID()}`;
    const created = await rest("POST", "/products", {
      name: "Teapot",
      price: "24.00",
      stock_quantity: 3,
      category,
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: "Teapot", price: "24.00", stockQuantity: 3 });
    const id = created.json.id as string;
    expect(id).toMatch(/^\d+$/);

    expect(await rest("GET", `/products/${id}`)).toMatchObject({ status: 200, json: { id } });

    const list = await rest("GET", `/products?category=${category}&sort=price_asc&page_size=10`);
    expect(list.status).toBe(200);
    expect(list.json.products.map((p: { id: string }) => p.id)).toEqual([id]);
    expect(list.json.nextPageToken).toBe("");

    const updated = await rest("PUT", `/products/${id}`, { price: "19.5" });
    expect(updated).toMatchObject({ status: 200, json: { price: "19.50", name: "Teapot" } });

    expect(await rest("DELETE", `/products/${id}`)).toMatchObject({ status: 200, json: {} });
    const gone = await rest("GET", `/products/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.json).toEqual({
      code: "not_found",
      message: `product ${id} not found`,
      details: [],
    });
  });

  it("answers lists as [] and refuses bad input with 400 and no change", async () => {
    const empty = await rest("GET", `/products?category=none-${randomUUID()}`);
    expect(empty).toMatchObject({ status: 200, json: { products: [], nextPageToken: "" } });
    const bad = await rest("POST", "/products", { name: "x", price: "1.999" });
    expect(bad.status).toBe(400);
    expect(bad.json.code).toBe("invalid_argument");
    expect((await rest("GET", "/products?page_size=abc")).status).toBe(400);
    expect((await rest("GET", "/products/abc")).status).toBe(400);
  });
});

describe("basket REST paths end to end, with the real product service", () => {
  let productId: string;
  beforeAll(async () => {
    const created = await restAs(ADMIN)("POST", "/products", {
      name: "Cup",
      price: "2.10",
      stock_quantity: 5,
    });
    productId = created.json.id;
  });

  it("walks a basket through all seven paths", async () => {
    const user = `e2e-${randomUUID()}`;
    const rest = restAs({ user });
    const created = await rest("POST", "/baskets", { user_id: user });
    expect(created).toMatchObject({
      status: 201,
      json: { userId: user, items: [], total: "0.00" },
    });

    const added = await rest("POST", `/baskets/${user}/items`, {
      product_id: productId,
      quantity: 2,
    });
    expect(added.status).toBe(200);
    expect(added.json.items).toMatchObject([
      { productId, name: "Cup", price: "2.10", quantity: 2, subtotal: "4.20" },
    ]);
    expect(added.json.total).toBe("4.20");

    const over = await rest("POST", `/baskets/${user}/items`, {
      product_id: productId,
      quantity: 4,
    });
    expect(over.status).toBe(400);
    expect(over.json.code).toBe("failed_precondition");

    const set = await rest("PUT", `/baskets/${user}/items/${productId}`, { quantity: 5 });
    expect(set.json).toMatchObject({ total: "10.50" });
    expect((await rest("GET", `/baskets/${user}`)).json.items[0].quantity).toBe(5);

    expect((await rest("DELETE", `/baskets/${user}/items/${productId}`)).json.items).toEqual([]);
    await rest("POST", `/baskets/${user}/items`, { product_id: productId, quantity: 1 });
    expect((await rest("DELETE", `/baskets/${user}/items`)).json).toMatchObject({
      items: [],
      total: "0.00",
    });
    expect((await rest("DELETE", `/baskets/${user}`)).status).toBe(200);
    expect((await rest("GET", `/baskets/${user}`)).status).toBe(404);
  });

  it("answers 404 for an unknown product and creates nothing", async () => {
    const user = `e2e-${randomUUID()}`;
    const rest = restAs({ user });
    const res = await rest("POST", `/baskets/${user}/items`, {
      product_id: "987654321",
      quantity: 1,
    });
    expect(res).toMatchObject({ status: 404, json: { code: "not_found" } });
    expect((await rest("GET", `/baskets/${user}`)).status).toBe(404);
  });

  it("propagates X-Request-Id to the response", async () => {
    const res = await fetch(`${base}/products/${productId}`, {
      headers: { "x-request-id": "e2e-42" },
    });
    expect(res.headers.get("x-request-id")).toBe("e2e-42");
  });
});

describe("notification REST paths end to end", () => {
  it("lists a user's notifications newest first, marks one read, and lists the event store", async () => {
    const userId = `e2e-${randomUUID()}`;
    const rest = restAs({ user: userId });
    const stored = [];
    for (const amount of ["2.50", "0.30"]) {
      const eventId = randomUUID();
      const paymentId = randomUUID();
      const event = {
        id: eventId,
        type: "shop.events.v1.PaymentCompleted",
        source: "/connect-shop/payment",
        time: new Date().toISOString(),
        key: paymentId,
        payload: JSON.stringify({ paymentId, userId, amount, currency: "USD" }),
      };
      const made = notificationOf(eventId, {
        kind: "payment_completed",
        paymentId,
        userId,
        amount,
        currency: "USD",
        reason: "",
        full: false,
      });
      const where = { topic: "payment-events", partition: 0, offset: "0" };
      stored.push({
        event,
        notification: await notificationApp.store.recordEvent(event, where, made),
      });
    }
    const [older, newer] = stored;

    const list = await rest("GET", `/users/${userId}/notifications?page_size=1`);
    expect(list.status).toBe(200);
    expect(list.json.notifications).toMatchObject([
      {
        id: newer?.notification?.id,
        message: "Payment of 0.30 USD completed",
        amount: "0.30",
        read: false,
      },
    ]);
    const next = await rest(
      "GET",
      `/users/${userId}/notifications?page_size=1&page_token=${list.json.nextPageToken}`,
    );
    expect(next.json.notifications.map((n: { id: string }) => n.id)).toEqual([
      older?.notification?.id,
    ]);

    const read = await rest(
      "POST",
      `/users/${userId}/notifications/${older?.notification?.id}/read`,
      {},
    );
    expect(read.status).toBe(200);
    expect(read.json).toMatchObject({ id: older?.notification?.id, read: true });
    const unread = await rest("GET", `/users/${userId}/notifications?unread_only=true`);
    expect(unread.json.notifications.map((n: { id: string }) => n.id)).toEqual([
      newer?.notification?.id,
    ]);

    const other = await restAs({ user: "someone-else" })(
      "POST",
      `/users/someone-else/notifications/${older?.notification?.id}/read`,
      {},
    );
    expect(other.status).toBe(404);
    const notOwn = await rest(
      "POST",
      `/users/someone-else/notifications/${older?.notification?.id}/read`,
      {},
    );
    expect(notOwn.status).toBe(403);
    const badToken = await rest("GET", `/users/${userId}/notifications?page_token=zz`);
    expect(badToken).toMatchObject({
      status: 400,
      json: { code: "invalid_argument", message: "page_token: is malformed" },
    });

    const events = await restAs(ADMIN)("GET", `/events?aggregate_id=${older?.event.key}`);
    expect(events.status).toBe(200);
    expect(events.json.events).toMatchObject([
      {
        id: older?.event.id,
        type: "shop.events.v1.PaymentCompleted",
        aggregateId: older?.event.key,
      },
    ]);
  });
});

describe("a server stream through the gateway", () => {
  it("follows a user's notifications as newline-delimited JSON, and refuses bad input before streaming", async () => {
    const userId = `e2e-watch-${randomUUID()}`;
    const abort = new AbortController();
    const res = await fetch(`${base}/users/${userId}/notifications:watch`, {
      signal: abort.signal,
      headers: await bearer(userId),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-ndjson");
    const lines = readLines(res);
    // The first line says the stream is subscribed: what is stored from now on reaches it.
    expect((await lines.next()).value).toMatchObject({ result: { heartbeat: {} } });

    const eventId = randomUUID();
    const paymentId = randomUUID();
    const event = {
      id: eventId,
      type: "shop.events.v1.PaymentFailed",
      source: "/connect-shop/payment",
      time: new Date().toISOString(),
      key: paymentId,
      payload: JSON.stringify({ paymentId, userId, amount: "12.30", currency: "USD" }),
    };
    const made = notificationOf(eventId, {
      kind: "payment_failed",
      paymentId,
      userId,
      amount: "12.30",
      currency: "USD",
      reason: "card declined",
      full: false,
    });
    await notificationApp.store.recordEvent(event, { topic: "t", partition: 0, offset: "0" }, made);
    expect((await lines.next()).value).toMatchObject({
      result: {
        notification: {
          userId,
          eventId,
          kind: "NOTIFICATION_KIND_PAYMENT_FAILED",
          message: "Payment of 12.30 USD failed: card declined",
        },
      },
    });
    abort.abort();

    const tooLong = "x".repeat(129);
    const bad = await restAs({ user: tooLong })("GET", `/users/${tooLong}/notifications:watch`);
    expect(bad).toMatchObject({
      status: 400,
      json: { code: "invalid_argument", message: "user_id: must be at most 128 characters" },
    });
  });
});
