import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { NotFound } from "#shared/errors";
import type { Cents } from "#shared/money";
import { assertLineQuantity, type Basket, lineLimit, type UserId } from "../domain/basket.js";
import { runScript, type Script, scripts } from "./basket-scripts.js";
import {
  basketKeys,
  decodeReply,
  encodeNewLine,
  eventMarkerKey,
  type ScriptOutcome,
} from "./basket-state.js";

/** How long an applied event is remembered: far longer than any redelivery takes. */
const EVENT_MARKER_TTL_SECONDS = 7 * 24 * 60 * 60;

/** A product line to add, with the name, unit price and category captured from the catalogue. */
export interface NewLine {
  productId: bigint;
  quantity: number;
  name: string;
  price: Cents;
  category: string;
}

/** The basket store; see {@link createBasketRepository}. */
export type BasketRepository = ReturnType<typeof createBasketRepository>;

/**
 * Baskets in Redis. Every operation is one Lua script, so it is atomic with respect to every
 * other operation on the same basket: concurrent adds, updates and removals never lose a line or
 * a quantity. Each mutation returns the basket exactly as that script left it. Every operation
 * that finds the basket refreshes the idle TTL (`ttlSeconds`) of both its keys; refused
 * operations (NotFound, FailedPrecondition) change nothing, TTL included.
 *
 * Inputs are expected to have passed the domain's parse functions (parseUserId, parseProductId,
 * parseQuantity). Redis connection failures surface as DependencyUnavailable/DependencyTimeout.
 */
export function createBasketRepository(redis: Redis, options: { ttlSeconds: number }) {
  const ttl = options.ttlSeconds;
  if (!Number.isInteger(ttl) || ttl < 1) {
    throw new RangeError(`ttlSeconds must be a positive integer, got ${ttl}`);
  }
  const run = async (
    userId: UserId,
    script: Script,
    args: (string | number)[],
    extraKey?: string,
  ) => {
    const keys: string[] = basketKeys(userId);
    if (extraKey !== undefined) keys.push(extraKey);
    return decodeReply(userId, await runScript(redis, script, keys, args));
  };

  return {
    /** The user's basket; NotFound("basket") when there is none. */
    async get(userId: UserId): Promise<Basket> {
      return settle(await run(userId, scripts.get, [ttl]), userId);
    },

    /** The user's basket, created empty if missing; an existing basket is returned unchanged. */
    async create(userId: UserId): Promise<Basket> {
      const outcome = await run(userId, scripts.create, [ttl, Date.now(), randomUUID(), userId]);
      return settle(outcome, userId);
    },

    /** Deletes the basket and its lines; NotFound("basket") when there is none. */
    async delete(userId: UserId): Promise<void> {
      const outcome = await run(userId, scripts.delete, []);
      if (outcome.status === "no_basket") throw new NotFound("basket", userId);
    },

    /**
     * Adds `line.quantity` of a product, creating the basket and the line when missing. An
     * existing line keeps the name, price and category captured when it was first added.
     * FailedPrecondition, with nothing written, when the line would exceed `stock` (or
     * MAX_QUANTITY).
     */
    async addItem(userId: UserId, line: NewLine, stock: number): Promise<Basket> {
      const now = Date.now();
      const { productId, quantity } = line;
      const stored = encodeNewLine(randomUUID(), line, now);
      const limit = lineLimit(stock);
      const args = [ttl, now, randomUUID(), userId, productId.toString(), quantity, limit, stored];
      return settle(await run(userId, scripts.addItem, args), userId, { productId, stock });
    },

    /**
     * Sets the quantity of a line already in the basket. NotFound("basket") / NotFound("basket
     * item") when either is missing; FailedPrecondition when `quantity` exceeds `stock`.
     */
    async updateItem(
      userId: UserId,
      productId: bigint,
      quantity: number,
      stock: number,
    ): Promise<Basket> {
      const args = [ttl, Date.now(), productId.toString(), quantity, lineLimit(stock)];
      return settle(await run(userId, scripts.updateItem, args), userId, { productId, stock });
    },

    /** Removes one line; NotFound("basket") / NotFound("basket item") when either is missing. */
    async removeItem(userId: UserId, productId: bigint): Promise<Basket> {
      const args = [ttl, Date.now(), productId.toString()];
      return settle(await run(userId, scripts.removeItem, args), userId, { productId });
    },

    /** Removes every line and keeps the empty basket; NotFound("basket") when there is none. */
    async clearItems(userId: UserId): Promise<Basket> {
      return settle(await run(userId, scripts.clearItems, [ttl, Date.now()]), userId);
    },

    /**
     * Empties the basket for the event `eventId` (a BasketCleared), at most once per event: the
     * event is recorded in the same script, so a redelivery is "duplicate" and changes nothing.
     * "no_basket" when the user has none (the event still counts as applied).
     */
    async clearForEvent(
      userId: UserId,
      eventId: string,
    ): Promise<"cleared" | "duplicate" | "no_basket"> {
      const args = [ttl, Date.now(), EVENT_MARKER_TTL_SECONDS];
      const marker = eventMarkerKey(userId, eventId);
      const outcome = await run(userId, scripts.clearForEvent, args, marker);
      if (outcome.status === "ok") return "cleared";
      if (outcome.status === "duplicate" || outcome.status === "no_basket") return outcome.status;
      throw new Error(`basket script answered "${outcome.status}" unexpectedly`);
    },

    /** Resolves when Redis answers; rejects otherwise. For the readiness check. */
    async ping(): Promise<void> {
      await redis.ping();
    },
  };
}

function settle(
  outcome: ScriptOutcome,
  userId: UserId,
  line?: { productId: bigint; stock?: number },
): Basket {
  if (outcome.status === "ok") return outcome.basket;
  if (outcome.status === "no_basket") throw new NotFound("basket", userId);
  if (outcome.status === "no_item" && line) throw new NotFound("basket item", line.productId);
  if (outcome.status === "over_limit" && line?.stock !== undefined) {
    assertLineQuantity(line.productId, outcome.wanted, line.stock);
  }
  throw new Error(`basket script answered "${outcome.status}" unexpectedly`);
}
