import type { Cents } from "#shared/money";
import { assembleBasket, type Basket, type StoredItem, type UserId } from "../domain/basket.js";

/**
 * How a basket is laid out in Redis, and how a script's reply becomes a {@link Basket}.
 *
 * - `basket:{<user>}` — hash: id, user_id, created_at, updated_at (epoch ms).
 * - `basket:{<user>}:items` — hash: product id (decimal) → line JSON
 *   `{"id","name","price"(cents, string),"category","created_at"(epoch ms, string),"quantity"}`.
 * - `basket:{<user>}:event:<event id>` — a marker that an event was applied (expires).
 *
 * `<user>` is the user id percent-encoded (encodeURIComponent), which is injective and never
 * contains `{`, `}` or `:`: no user id can reach another user's keys, and the braces make both
 * keys one Redis Cluster hash slot, so a script may touch both.
 */
export function basketKeys(userId: UserId): [basket: string, items: string] {
  const tag = `basket:{${encodeURIComponent(userId)}}`;
  return [tag, `${tag}:items`];
}

/** The marker of an event applied to the user's basket; same hash slot as the basket. */
export function eventMarkerKey(userId: UserId, eventId: string): string {
  return `basket:{${encodeURIComponent(userId)}}:event:${encodeURIComponent(eventId)}`;
}

/**
 * A new line as the add-item script stores it (quantity is set by the script): line id `id`,
 * the product's name, price and category, added at `createdAt` (epoch ms).
 */
export function encodeNewLine(
  id: string,
  product: { name: string; price: Cents; category: string },
  createdAt: number,
): string {
  return JSON.stringify({
    id,
    name: product.name,
    price: product.price.toString(),
    category: product.category,
    created_at: String(createdAt),
  });
}

/** The outcome of a script: the basket state, or why nothing was written. */
export type ScriptOutcome =
  | { status: "ok"; basket: Basket }
  | { status: "no_basket" | "no_item" | "deleted" | "duplicate" }
  | { status: "over_limit"; wanted: number };

/** Decodes a script reply; throws on a shape no script produces. */
export function decodeReply(userId: UserId, reply: unknown): ScriptOutcome {
  if (!Array.isArray(reply)) throw malformed(reply);
  const status: unknown = reply[0];
  if (
    status === "no_basket" ||
    status === "no_item" ||
    status === "deleted" ||
    status === "duplicate"
  )
    return { status };
  if (status === "over_limit") return { status, wanted: Number(reply[1]) };
  if (status !== "ok") throw malformed(reply);
  const [, id, createdAt, updatedAt, fields] = reply as unknown[];
  if (typeof id !== "string" || !Array.isArray(fields)) throw malformed(reply);
  const head = { id, userId, createdAt: epoch(createdAt), updatedAt: epoch(updatedAt) };
  return { status, basket: assembleBasket(head, decodeItems(fields)) };
}

function decodeItems(fields: unknown[]): StoredItem[] {
  const items: StoredItem[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const line = JSON.parse(String(fields[i + 1])) as Record<string, unknown>;
    items.push({
      id: String(line.id),
      productId: BigInt(String(fields[i])),
      name: String(line.name),
      quantity: Number(line.quantity),
      price: BigInt(String(line.price)) as Cents,
      category: String(line.category),
      createdAt: epoch(line.created_at),
    });
  }
  return items;
}

function epoch(value: unknown): Date {
  return new Date(Number(value));
}

function malformed(reply: unknown): Error {
  return new Error(`unexpected reply from a basket script: ${JSON.stringify(reply)}`);
}
