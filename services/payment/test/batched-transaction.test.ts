import type { Pool, PoolConnection } from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectPaymentDatabase } from "../src/db/connection.js";
import { createPaymentRepository } from "../src/db/payment-repository.js";
import type { PaymentItem } from "../src/domain/payment.js";
import { newUuidV7 } from "../src/domain/payment-id.js";
import { completePayment } from "../src/domain/transitions.js";
import { countRows, openTestDatabase, outboxOf, testDatabaseConfig } from "./support/database.js";
import { freshPendingPayment, pendingPayment } from "./support/payments.js";

let pool: Pool;
let single: Pool;

beforeAll(async () => {
  pool = await openTestDatabase();
  // One connection: whatever a failed transaction left on it, the next caller gets.
  single = connectPaymentDatabase({ ...testDatabaseConfig, maxConnections: 1 });
});
afterAll(async () => {
  await pool?.end();
  await single?.end();
});

/** `target`, recording the SQL of every query its pooled connections send. */
function counting(target: Pool): { pool: Pool; sent: string[] } {
  const sent: string[] = [];
  const getConnection = async (): Promise<PoolConnection> => {
    const connection = await target.getConnection();
    return new Proxy(connection, {
      get(object, key, receiver) {
        if (key !== "query") return Reflect.get(object, key, receiver);
        return (options: { sql: string } | string, ...rest: unknown[]) => {
          sent.push(typeof options === "string" ? options : options.sql);
          return (object.query as (...args: unknown[]) => unknown)(options, ...rest);
        };
      },
    });
  };
  return { pool: { getConnection } as unknown as Pool, sent };
}

describe("payment writes in batched transactions", () => {
  it("stores a checkout's payment and items in one round trip, and completes it in two", async () => {
    const { pool: watched, sent } = counting(pool);
    const repository = createPaymentRepository(watched);
    const payment = freshPendingPayment();
    await repository.insertPending(payment);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatch(
      /^START TRANSACTION;\nINSERT INTO `payments`.*;\nINSERT INTO `payment_items`.*\), \(.*;\nCOMMIT$/s,
    );

    sent.length = 0;
    await repository.update(payment.id, async (current) =>
      completePayment(current, { providerId: "ch_1", at: new Date() }),
    );
    expect(sent).toHaveLength(2);
    expect(sent[0]).toMatch(/^START TRANSACTION;\nSELECT .* FOR UPDATE$/s);
    expect(sent[1]).toMatch(/^UPDATE `payments` SET .*;\nINSERT INTO `outbox`.*;\nCOMMIT$/s);
    expect(await outboxOf(pool, payment.id)).toHaveLength(4);
  });

  it("leaves the connection with no transaction open after a statement of a batch failed", async () => {
    const repository = createPaymentRepository(single);
    const [line] = pendingPayment().items as [PaymentItem];
    const broken = { ...freshPendingPayment(), items: [{ ...line, id: newUuidV7(), quantity: 0 }] };
    await expect(repository.insertPending(broken)).rejects.toThrow(/Failed query/);
    // The same (only) connection: had the failed batch left its transaction open, this row
    // would be written inside it and vanish with the connection.
    const [[state]] = (await single.query("SELECT @@in_transaction AS open")) as unknown as [
      [{ open: number }],
    ];
    expect(Number(state.open)).toBe(0);
    expect(await countRows(pool, "payments", broken.id)).toBe(0);
    const next = freshPendingPayment();
    await repository.insertPending(next);
    expect(await countRows(pool, "payments", next.id)).toBe(1);
  });

  it("releases the row lock of an update whose closure failed, for the next update", async () => {
    const repository = createPaymentRepository(single);
    const payment = freshPendingPayment();
    await repository.insertPending(payment);
    await expect(
      repository.update(payment.id, async () => {
        throw new Error("provider blew up");
      }),
    ).rejects.toThrow("provider blew up");
    const done = await repository.update(payment.id, async (current) =>
      completePayment(current, { providerId: "ch_2", at: new Date() }),
    );
    expect(done.status).toBe("COMPLETED");
  });
});
