import type { PaymentEvent } from "../domain/events.js";
import { toOutboxMessage } from "../events/outbox-messages.js";
import type { PaymentDb } from "./connection.js";
import { outbox } from "./schema.js";
import { insertRows, type Statement } from "./statements.js";

/** A drizzle transaction of the payment database. */
export type PaymentTx = Parameters<Parameters<PaymentDb["transaction"]>[0]>[0];

/**
 * Writes `events` to the outbox inside the caller's transaction `tx`, in the given order (the
 * auto-increment id is the publishing order): they commit or roll back with the state change
 * they describe, so a rolled-back change can never be published.
 */
export async function writeOutbox(
  tx: PaymentTx,
  events: readonly PaymentEvent[],
  now: Date,
): Promise<void> {
  if (events.length === 0) return;
  await tx
    .insert(outbox)
    .values(events.map((event) => ({ ...toOutboxMessage(event), createdAt: now })));
}

/**
 * The INSERT of `events` into the outbox (one statement, in the given order), for a batched
 * transaction (`inBatchedTransaction`); undefined for no events. Same rows as `writeOutbox`.
 */
export function outboxRows(events: readonly PaymentEvent[], now: Date): Statement | undefined {
  if (events.length === 0) return undefined;
  return insertRows(
    outbox,
    events.map((event) => ({ ...toOutboxMessage(event), createdAt: now })),
  );
}
