import { fromJsonString } from "@bufbuild/protobuf";
import {
  StockChangeReason,
  type StockUpdated,
  StockUpdatedSchema,
} from "#gen/shop/events/v1/events_pb";
import { PoisonMessageError } from "#shared/kafka/poison";
import type { Logger } from "#shared/logger";
import type { StockChange, StockEventOutcome, StockUpdate } from "../db/stock-events.js";
import type { StockRepository } from "../db/stock-repository.js";

/** A CloudEvent from the `stock-events` topic, decoded from its Kafka record (binary mode). */
export type StockCloudEvent = {
  /** `ce_id`: the deduplication key. */
  readonly id: string;
  /** `ce_type`: "shop.events.v1.StockUpdated". */
  readonly type: string;
  /** The record value: the payload's proto JSON. */
  readonly payload: string;
};

/**
 * An event that can never be applied however often it is retried (wrong type, unreadable or
 * incomplete payload): `runConsumer` dead-letters it at once.
 */
export class MalformedStockEvent extends PoisonMessageError {
  override name = "MalformedStockEvent";
}

const CHANGE_OF: Partial<Record<StockChangeReason, StockChange>> = {
  [StockChangeReason.SOLD]: "sold",
  [StockChangeReason.RELEASED]: "released",
  [StockChangeReason.RESTOCKED]: "restocked",
};

/**
 * The handler a Kafka consumer of `stock-events` calls per record: parses the StockUpdated
 * payload, applies it exactly once in effect and resolves with the outcome once it is durable
 * (then the offset may be committed). Throws MalformedStockEvent for a record to dead-letter;
 * any other rejection (the database unreachable) is worth retrying.
 */
export function createStockEventHandler(deps: {
  stock: Pick<StockRepository, "applyStockUpdated">;
  logger: Logger;
}): (event: StockCloudEvent) => Promise<StockEventOutcome> {
  return async (event) => {
    const update = parseStockEvent(event);
    const outcome = await deps.stock.applyStockUpdated(update);
    logOutcome(deps.logger, update, outcome);
    return outcome;
  };
}

/**
 * The handler for a run of `stock-events` records of one partition: parses them all, then
 * applies them in order in one statement, exactly once in effect each, and resolves with their
 * outcomes once that is durable. Throws MalformedStockEvent when any record is malformed, having
 * applied none (the consumer then takes them one by one, dead-lettering that one).
 */
export function createStockBatchHandler(deps: {
  stock: Pick<StockRepository, "applyStockUpdates">;
  logger: Logger;
}): (events: readonly StockCloudEvent[]) => Promise<StockEventOutcome[]> {
  return async (events) => {
    const updates = events.map(parseStockEvent);
    const outcomes = await deps.stock.applyStockUpdates(updates);
    updates.forEach((update, index) => {
      const outcome = outcomes[index];
      if (outcome) logOutcome(deps.logger, update, outcome);
    });
    return outcomes;
  };
}

function logOutcome(logger: Logger, update: StockUpdate, outcome: StockEventOutcome): void {
  const { eventId, paymentId, productId } = update;
  const context = { eventId, paymentId, productId };
  if (outcome.result === "refused" || outcome.result === "unknown") {
    // Recorded as processed so the partition moves on; someone should look at it.
    logger.warn({ ...context, ...outcome }, "stock event not applied");
  } else {
    logger.debug({ ...context, ...outcome }, "stock event processed");
  }
}

/** The StockUpdate a CloudEvent carries; MalformedStockEvent when it carries none. */
export function parseStockEvent(event: StockCloudEvent): StockUpdate {
  if (event.type !== StockUpdatedSchema.typeName) {
    throw new MalformedStockEvent(`event ${event.id}: type "${event.type}" is not StockUpdated`);
  }
  if (event.id === "") throw new MalformedStockEvent("a stock event without an id");
  const message = decode(event);
  const reason = CHANGE_OF[message.reason];
  if (reason === undefined) {
    throw new MalformedStockEvent(`event ${event.id}: reason must be SOLD, RELEASED or RESTOCKED`);
  }
  const problem = problemOf(message);
  if (problem) throw new MalformedStockEvent(`event ${event.id}: ${problem}`);
  const { productId, paymentId, quantity } = message;
  return { eventId: event.id, productId, paymentId, quantity, reason };
}

function problemOf(message: StockUpdated): string | undefined {
  if (message.productId <= 0n) return "product_id must be positive";
  if (message.paymentId === "") return "payment_id is required";
  if (message.quantity <= 0) return "quantity must be positive";
  return undefined;
}

function decode(event: StockCloudEvent): StockUpdated {
  try {
    // Fields added to the event later must not turn today's consumer into a dead-letter pump.
    return fromJsonString(StockUpdatedSchema, event.payload, { ignoreUnknownFields: true });
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new MalformedStockEvent(`event ${event.id}: unreadable StockUpdated payload: ${why}`);
  }
}
