import { setTimeout as delay } from "node:timers/promises";
import mysql, { type Connection } from "mysql2/promise";
import type { Logger } from "#shared/logger";
import { mysqlOptions, type PaymentDatabaseConfig, SESSION_SETUP } from "../db/connection.js";

/** An outbox row as the relay hands it to `publish`. */
export type OutboxRecord = {
  /** The publishing order (auto-increment). */
  readonly id: bigint;
  /** The CloudEvents id (`ce_id`); consumers deduplicate by it. */
  readonly eventId: string;
  readonly topic: string;
  /** The Kafka message key: the aggregate id. */
  readonly key: string;
  /** The message's full name, e.g. "shop.events.v1.PaymentCompleted" (`ce_type`). */
  readonly eventType: string;
  /** The message's proto JSON: the Kafka value. */
  readonly payload: string;
  /** When the state change committed (`ce_time`). */
  readonly createdAt: Date;
};

export type OutboxRelayOptions = {
  readonly database: PaymentDatabaseConfig;
  /** Publishes a batch, in order; resolves once every record is durably accepted. */
  readonly publish: (records: readonly OutboxRecord[]) => Promise<void>;
  readonly logger: Logger;
  readonly batchSize?: number;
  /** How often the outbox is looked at when nobody wakes the relay; 100 ms unless set. */
  readonly pollIntervalMs?: number;
  /**
   * While the outbox stays empty the pause between looks doubles from `pollIntervalMs` up to
   * this; rows found or a wake bring it back at once. 1000 ms unless set (never below
   * `pollIntervalMs`).
   */
  readonly idlePollIntervalMs?: number;
  /** Backoff after a failed publish or a lost connection: doubles from `min` up to `max`. */
  readonly retry?: { readonly minMs: number; readonly maxMs: number };
};

/** A running relay. */
export type OutboxRelay = {
  /** Look at the outbox now (call after a commit that wrote events). */
  wake(): void;
  /** Stops after the batch in hand, releases the lock and closes the connection. */
  stop(): Promise<void>;
};

/**
 * Publishes the outbox: unpublished rows in id order, in batches, marked published once
 * `publish` resolved. Only the instance holding the MariaDB named lock
 * `payment-outbox-relay:<database>` (taken on the relay's own connection, so it lasts as long as
 * that session) relays; the others wait for it, so one row is not published twice while that
 * session lives and order per aggregate holds. If the session dies between publishing and
 * marking, the next holder publishes that batch again: delivery is at least once, and consumers
 * deduplicate by event id. While `publish` fails the batch is retried with backoff (attempts and
 * the last error are recorded on the rows); nothing is skipped. An outbox that stays empty is
 * looked at less and less often, down to every `idlePollIntervalMs`: polling MariaDB ten times a
 * second cost an idle payment process ~11 ms CPU per second.
 */
export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const lockName = `payment-outbox-relay:${options.database.database}`.slice(0, 64);
  const batchSize = options.batchSize ?? 100;
  const pollMs = options.pollIntervalMs ?? 100;
  const idlePollMs = Math.max(pollMs, options.idlePollIntervalMs ?? 1000);
  // The next pause after an empty look. Every commit of this instance wakes the relay, so a
  // longer pause delays only rows of other instances, and only after a quiet spell.
  let emptyRestMs = pollMs;
  const retry = options.retry ?? { minMs: 100, maxMs: 5000 };
  let stopped = false;
  let connection: Connection | undefined;
  let wakeUp: (() => void) | undefined;
  let woken = false;

  /** Sleeps `ms`, or less when woken or stopped. */
  async function rest(ms: number): Promise<void> {
    if (woken || stopped) {
      woken = false;
      return;
    }
    const controller = new AbortController();
    wakeUp = () => controller.abort();
    await delay(ms, undefined, { signal: controller.signal }).catch(() => {});
    wakeUp = undefined;
    woken = false;
  }

  async function holdLock(): Promise<Connection | undefined> {
    if (connection) return connection;
    const fresh = await mysql.createConnection(mysqlOptions(options.database));
    await fresh.query(SESSION_SETUP);
    const [rows] = await fresh.query("SELECT GET_LOCK(?, 0) AS locked", [lockName]);
    if ((rows as { locked: unknown }[])[0]?.locked === 1) {
      options.logger.info({ lock: lockName }, "outbox relay is the active one");
      connection = fresh;
      return fresh;
    }
    await fresh.end();
    return undefined;
  }

  /** One step: publish one batch; resolves with how long to rest before the next. */
  async function step(failures: number): Promise<{ restMs: number; failures: number }> {
    const db = await holdLock();
    // Another instance relays; ask for the lock again soon, so a stop there is taken over fast.
    if (!db) return { restMs: Math.min(retry.maxMs, 1000), failures: 0 };
    const records = await readBatch(db, batchSize);
    if (records.length === 0) {
      const restMs = emptyRestMs;
      emptyRestMs = Math.min(idlePollMs, emptyRestMs * 2);
      options.logger.debug({ restMs }, "outbox empty; looking again later");
      return { restMs, failures: 0 };
    }
    emptyRestMs = pollMs;
    const ids = records.map((record) => record.id.toString());
    try {
      await options.publish(records);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      options.logger.warn({ err: error, rows: ids.length }, "publishing the outbox failed");
      await db.query("UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id IN (?)", [
        message.slice(0, 1000),
        ids,
      ]);
      return { restMs: Math.min(retry.maxMs, retry.minMs * 2 ** failures), failures: failures + 1 };
    }
    await db.query(
      "UPDATE outbox SET published_at = UTC_TIMESTAMP(3), attempts = attempts + 1 WHERE id IN (?)",
      [ids],
    );
    // A full batch means more may be waiting: go on at once.
    return { restMs: records.length === batchSize ? 0 : pollMs, failures: 0 };
  }

  async function dropConnection() {
    const old = connection;
    connection = undefined;
    await old?.end().catch(() => old.destroy());
  }

  const loop = (async () => {
    let failures = 0;
    while (!stopped) {
      try {
        const next = await step(failures);
        failures = next.failures;
        if (next.restMs > 0) await rest(next.restMs);
      } catch (error) {
        // The database is unreachable or the session died (and with it the lock): start over.
        options.logger.warn({ err: error }, "outbox relay lost its database connection");
        await dropConnection();
        await rest(Math.min(retry.maxMs, retry.minMs * 2 ** failures++));
      }
    }
    await dropConnection();
  })();

  return {
    wake() {
      woken = true;
      emptyRestMs = pollMs;
      wakeUp?.();
    },
    async stop() {
      stopped = true;
      wakeUp?.();
      await loop;
    },
  };
}

async function readBatch(db: Connection, limit: number): Promise<OutboxRecord[]> {
  const [rows] = await db.query(
    "SELECT id, event_id, topic, message_key, event_type, payload, created_at FROM outbox" +
      " WHERE published_at IS NULL ORDER BY id LIMIT ?",
    [limit],
  );
  return (rows as Record<string, unknown>[]).map((row) => ({
    id: BigInt(String(row.id)),
    eventId: String(row.event_id),
    topic: String(row.topic),
    key: String(row.message_key),
    eventType: String(row.event_type),
    payload: String(row.payload),
    createdAt: row.created_at as Date,
  }));
}
