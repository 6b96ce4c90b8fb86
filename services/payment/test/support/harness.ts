import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { Pool } from "mysql2/promise";
import { pino } from "pino";
import { PaymentService } from "#gen/shop/payment/v1/payment_pb";
import { asAdmin, asService } from "#shared-test/auth";
import { startTestServer } from "#shared-test/service-harness";
import { createPaymentApp } from "../../src/app.js";
import { openTestDatabase } from "./database.js";
import { type FakeNeighbours, fakeNeighbours } from "./fake-neighbours.js";

/** The pending-payment lifetime the suites use: 15 minutes, as in production. */
export const TTL_SECONDS = 900;

export type PaymentHarness = {
  pool: Pool;
  fakes: FakeNeighbours;
  /** Calls as a shop service: the OWNER RPCs of any user (auth is tested in auth.test.ts). */
  client: Client<typeof PaymentService>;
  /** Calls as an admin user: RefundPayment and ListPayments. */
  admin: Client<typeof PaymentService>;
  baseUrl: string;
  port: number;
  sweeper: ReturnType<typeof createPaymentApp>["sweeper"];
  /** Moves this service's clock (not the machine's) forward. */
  advanceClock(ms: number): void;
  close(): Promise<void>;
};

/**
 * The payment service as main.ts serves it — real MariaDB, a real port — with in-memory
 * neighbours and its own adjustable clock; a generated gRPC client on it.
 */
export async function startPaymentHarness(options: { dbSuffix?: string } = {}) {
  const pool = await openTestDatabase(options.dbSuffix);
  const fakes = fakeNeighbours();
  let offsetMs = 0;
  const app = createPaymentApp({
    pool,
    basket: fakes.basket,
    product: fakes.product,
    logger: pino({ level: "silent" }),
    ttlSeconds: TTL_SECONDS,
    shopCurrency: "USD",
    sweepIntervalMs: 50,
    // Small batches, so a sweep of a dozen payments takes several transactions.
    sweepBatchSize: 4,
    clock: () => new Date(Date.now() + offsetMs),
  });
  const server = await startTestServer(app);
  const as = (caller: ReturnType<typeof asService>) =>
    createClient(
      PaymentService,
      createGrpcTransport({ baseUrl: server.baseUrl, interceptors: [caller] }),
    );
  const client = as(asService());
  const admin = as(asAdmin());
  const harness: PaymentHarness = {
    pool,
    fakes,
    client,
    admin,
    baseUrl: server.baseUrl,
    port: server.port,
    sweeper: app.sweeper,
    advanceClock: (ms) => {
      offsetMs += ms;
    },
    async close() {
      await app.sweeper.stop();
      await server.close(1000);
      await pool.end();
    },
  };
  return harness;
}

/** A fresh user with a basket of `lines` (fresh products at the given prices and stock). */
export function basketOf(
  fakes: FakeNeighbours,
  lines: { price: string; quantity: number; stock?: number }[],
) {
  const items = lines.map(({ price, quantity, stock }) => ({
    productId: fakes.newProduct({ price, stock: stock ?? 100 }),
    quantity,
  }));
  return { userId: fakes.newUser(items), items };
}

/** A PENDING payment of a fresh user's basket: 2 × 2.50 + 1 × 5.00 = 10.00, stock 5 each. */
export async function pendingCheckout(h: PaymentHarness) {
  const basket = basketOf(h.fakes, [
    { price: "2.50", quantity: 2, stock: 5 },
    { price: "5.00", quantity: 1, stock: 5 },
  ]);
  const { payment } = await h.client.createPayment({ userId: basket.userId, method: "card" });
  if (!payment) throw new Error("CreatePayment answered no payment");
  return { ...basket, payment };
}
