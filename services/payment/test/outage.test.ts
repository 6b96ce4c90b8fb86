import { Code, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { Pool } from "mysql2/promise";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { PaymentService, PaymentStatus } from "#gen/shop/payment/v1/payment_pb";
import { asService, bearer } from "#shared-test/auth";
import { codeOf } from "#shared-test/code-of";
import { type PrivateDatabase, startPrivateMariadb } from "#shared-test/private-servers";
import { startTestServer } from "#shared-test/service-harness";
import { createPaymentApp } from "../src/app.js";
import { connectPaymentDatabase } from "../src/db/connection.js";
import { migratePaymentDatabase } from "../src/db/migrate.js";
import { fakeNeighbours } from "./support/fake-neighbours.js";

// The payment service on a MariaDB of this file's own, which the test stops and starts.
let database: PrivateDatabase;
let pool: Pool;
let server: Awaited<ReturnType<typeof startTestServer>>;
const fakes = fakeNeighbours();

beforeAll(async () => {
  database = await startPrivateMariadb();
  await migratePaymentDatabase(database.settings("payment_service"));
  pool = connectPaymentDatabase(database.settings("payment_service"));
  const app = createPaymentApp({
    pool,
    basket: fakes.basket,
    product: fakes.product,
    logger: pino({ level: "silent" }),
    ttlSeconds: 900,
    shopCurrency: "USD",
    sweepIntervalMs: 60_000,
  });
  server = await startTestServer(app);
});
afterAll(async () => {
  await server?.close(100);
  await pool?.end();
  await database?.close();
});

// Each call has a deadline, so a hang fails the test instead of stalling it.
const within = { timeoutMs: 15_000 };
const readyStatus = async () =>
  (await fetch(`${server.baseUrl}/ready`, { signal: AbortSignal.timeout(15_000) })).status;

describe("the payment service while MariaDB is down", () => {
  it("answers Unavailable and is not ready, then recovers by itself when it returns", async () => {
    const payments = createClient(
      PaymentService,
      createGrpcTransport({ baseUrl: server.baseUrl, interceptors: [asService()] }),
    );
    const product = fakes.newProduct({ price: "2.50" });
    const userId = fakes.newUser([{ productId: product, quantity: 2 }]);
    const { payment } = await payments.createPayment({ userId, method: "card" }, within);
    const id = payment?.id ?? "";
    await database.stop();

    expect(await codeOf(payments.getPayment({ id }, within))).toBe(Code.Unavailable);
    expect(await codeOf(payments.listUserPayments({ userId }, within))).toBe(Code.Unavailable);
    expect(await codeOf(payments.cancelPayment({ id }, within))).toBe(Code.Unavailable);
    const json = await fetch(`${server.baseUrl}/shop.payment.v1.PaymentService/GetPayment`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(await bearer(userId)) },
      body: JSON.stringify({ id }),
      signal: AbortSignal.timeout(15_000),
    });
    expect(json.status).toBe(503);
    expect(await json.json()).toEqual({
      code: "unavailable",
      message: "payment database (MariaDB) is unavailable",
    });
    expect(await readyStatus()).toBe(503);

    await database.start();
    await vi.waitFor(async () => expect(await readyStatus()).toBe(200), {
      timeout: 20_000,
      interval: 200,
    });
    expect((await payments.getPayment({ id }, within)).payment?.amount).toBe("5.00");
    const cancelled = await payments.cancelPayment({ id }, within);
    expect(cancelled.payment?.status).toBe(PaymentStatus.CANCELLED);
  });
});
