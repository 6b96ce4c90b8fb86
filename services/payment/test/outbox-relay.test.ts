import { randomUUID } from "node:crypto";
import type { Pool } from "mysql2/promise";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordingLogger } from "#shared-test/kafka";
import { paymentDb } from "../src/db/connection.js";
import { writeOutbox } from "../src/db/outbox-writer.js";
import { createPaymentRepository } from "../src/db/payment-repository.js";
import { newUuidV7 } from "../src/domain/payment-id.js";
import { completePayment } from "../src/domain/transitions.js";
import { type OutboxRecord, startOutboxRelay } from "../src/events/outbox-relay.js";
import { openTestDatabase, outboxOf, testDatabaseConfig } from "./support/database.js";
import { pendingPayment } from "./support/payments.js";

// A relay publishes every row of its database, so this suite has a database of its own.
const SUFFIX = "_relay";
const database = { ...testDatabaseConfig, database: testDatabaseConfig.database + SUFFIX };
const logger = pino({ level: "silent" });
let pool: Pool;

beforeAll(async () => {
  pool = await openTestDatabase(SUFFIX);
});
afterAll(async () => {
  await pool?.end();
});

/** A completed payment: four events (PaymentCompleted, 2 × StockUpdated, BasketCleared). */
async function completedPayment(): Promise<string> {
  const repository = createPaymentRepository(pool);
  const now = new Date();
  const payment = pendingPayment({
    id: newUuidV7(),
    userId: `user-${randomUUID()}`,
    createdAt: now,
    updatedAt: now,
    expiresAt: new Date(now.getTime() + 60_000),
    items: pendingPayment().items.map((item) => ({ ...item, id: newUuidV7() })),
  });
  await repository.insertPending(payment);
  await repository.update(payment.id, async (p) =>
    completePayment(p, { providerId: "c", at: now }),
  );
  return payment.id;
}

/** A publish function that records what it was given; `failing` makes it throw. */
function recorder() {
  const published: OutboxRecord[] = [];
  const state = { failing: false, calls: 0 };
  return {
    published,
    state,
    of: (paymentId: string) => published.filter((r) => r.payload.includes(`"${paymentId}"`)),
    publish: async (records: readonly OutboxRecord[]) => {
      state.calls++;
      if (state.failing) throw new Error("broker unreachable");
      published.push(...records);
    },
  };
}

describe("the outbox relay", () => {
  it("publishes committed events once each, in outbox order, and marks them published", async () => {
    const sink = recorder();
    const relay = startOutboxRelay({ database, publish: sink.publish, logger, batchSize: 3 });
    try {
      const ids = [await completedPayment(), await completedPayment()];
      relay.wake();
      for (const id of ids)
        await expect.poll(() => sink.of(id).length, { timeout: 20_000 }).toBe(4);
      for (const id of ids) {
        const rows = await outboxOf(pool, id);
        expect(sink.of(id).map((r) => r.eventId)).toEqual(rows.map((r) => r.eventId));
        expect(rows.every((r) => r.published)).toBe(true);
        expect(sink.of(id)[0]).toMatchObject({
          topic: "payment-events",
          key: id,
          eventType: "shop.events.v1.PaymentCompleted",
        });
      }
      const order = sink.published.map((r) => r.id);
      expect(order).toEqual([...order].sort((a, b) => (a < b ? -1 : 1)));
      expect(new Set(sink.published.map((r) => r.eventId)).size).toBe(sink.published.length);
    } finally {
      await relay.stop();
    }
  });

  it("publishes nothing of a rolled-back transaction", async () => {
    const sink = recorder();
    const relay = startOutboxRelay({ database, publish: sink.publish, logger });
    try {
      const ghost = newUuidV7();
      const event = { kind: "BasketCleared", paymentId: ghost, userId: "ghost" } as const;
      await expect(
        paymentDb(pool).transaction(async (tx) => {
          await writeOutbox(tx, [event], new Date());
          throw new Error("the state change failed");
        }),
      ).rejects.toThrow("the state change failed");
      const after = await completedPayment();
      relay.wake();
      await expect.poll(() => sink.of(after).length, { timeout: 20_000 }).toBe(4);
      expect(sink.of(ghost)).toEqual([]);
      expect(await outboxOf(pool, ghost)).toEqual([]);
    } finally {
      await relay.stop();
    }
  });

  it("keeps retrying while publishing fails, then delivers everything, losing nothing", async () => {
    const sink = recorder();
    sink.state.failing = true;
    const relay = startOutboxRelay({
      database,
      publish: sink.publish,
      logger,
      retry: { minMs: 10, maxMs: 50 },
    });
    try {
      const id = await completedPayment();
      relay.wake();
      await expect.poll(() => attemptsOf(id), { timeout: 20_000 }).toBeGreaterThanOrEqual(3);
      const [stuck] = await pool.query(
        "SELECT last_error FROM outbox WHERE published_at IS NULL AND payload LIKE ?",
        [`%${id}%`],
      );
      expect((stuck as { last_error: string }[])[0]?.last_error).toBe("broker unreachable");
      sink.state.failing = false;
      await expect.poll(() => sink.of(id).length, { timeout: 20_000 }).toBe(4);
      expect((await outboxOf(pool, id)).every((r) => r.published)).toBe(true);
    } finally {
      await relay.stop();
    }
  });

  it("relays from one instance at a time; another takes over when it stops", async () => {
    const a = recorder();
    const b = recorder();
    const options = { database, logger, retry: { minMs: 10, maxMs: 100 } };
    const first = startOutboxRelay({ ...options, publish: a.publish });
    let second: ReturnType<typeof startOutboxRelay> | undefined;
    try {
      // Alone, the first one takes the lock and relays.
      const one = await completedPayment();
      first.wake();
      await expect.poll(() => a.of(one).length, { timeout: 20_000 }).toBe(4);
      second = startOutboxRelay({ ...options, publish: b.publish });
      const two = await completedPayment();
      first.wake();
      second.wake();
      await expect.poll(() => a.of(two).length, { timeout: 20_000 }).toBe(4);
      expect(b.published).toEqual([]);
      await first.stop();
      const three = await completedPayment();
      await expect.poll(() => b.of(three).length, { timeout: 20_000 }).toBe(4);
      const all = [...a.published, ...b.published].map((r) => r.eventId);
      expect(new Set(all).size).toBe(all.length);
    } finally {
      await Promise.all([first.stop(), second?.stop()]);
    }
  });

  it("publishes at once when woken, without waiting for its poll", async () => {
    const sink = recorder();
    const relay = startOutboxRelay({
      database,
      publish: sink.publish,
      logger,
      pollIntervalMs: 600_000,
    });
    try {
      // Once it has published something it rests for ten minutes; only a wake brings it back.
      const first = await completedPayment();
      relay.wake();
      await expect.poll(() => sink.of(first).length, { timeout: 20_000 }).toBe(4);
      const id = await completedPayment();
      relay.wake();
      await expect.poll(() => sink.of(id).length, { timeout: 20_000 }).toBe(4);
    } finally {
      await relay.stop();
    }
  });

  it("looks at an empty outbox less and less often, and at once again after rows or a wake", async () => {
    const sink = recorder();
    const recording = recordingLogger("debug");
    const relay = startOutboxRelay({
      database,
      publish: sink.publish,
      logger: recording.logger,
      pollIntervalMs: 20,
      idlePollIntervalMs: 160,
    });
    /** The pauses after each empty look so far. */
    const rests = () =>
      recording.lines
        .filter((line) => line.msg === "outbox empty; looking again later")
        .map((line) => line.restMs);
    try {
      await expect.poll(() => rests().length, { timeout: 20_000 }).toBeGreaterThanOrEqual(5);
      expect(rests().slice(0, 5)).toEqual([20, 40, 80, 160, 160]);

      // No wake: the idle poll alone finds the row, and the pauses start short again.
      const unannounced = await completedPayment();
      const before = rests().length;
      await expect.poll(() => sink.of(unannounced).length, { timeout: 20_000 }).toBe(4);
      await expect.poll(() => rests().slice(before), { timeout: 20_000 }).toContain(20);

      // Idle again (two looks at the longest pause), then a wake starts the pauses over.
      await expect.poll(() => rests().slice(-2), { timeout: 20_000 }).toEqual([160, 160]);
      const woken = rests().length;
      relay.wake();
      await expect.poll(() => rests().length, { timeout: 20_000 }).toBeGreaterThan(woken);
      expect(rests()[woken]).toBe(20);
    } finally {
      await relay.stop();
    }
  });
});

async function attemptsOf(paymentId: string): Promise<number> {
  const [rows] = await pool.query("SELECT MIN(attempts) AS n FROM outbox WHERE payload LIKE ?", [
    `%"${paymentId}"%`,
  ]);
  return Number((rows as { n: unknown }[])[0]?.n);
}
