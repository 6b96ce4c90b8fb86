import { FailedPrecondition, InvalidArgument } from "#shared/errors";
import { type Cents, multiplyMoney, sumMoney } from "#shared/money";

/** The most of one product a single request may add, and a single line may hold. */
export const MAX_QUANTITY = 999;

/** The longest user id accepted, in UTF-16 code units. */
export const MAX_USER_ID_LENGTH = 128;

/** The largest product id: product ids are int64. */
export const MAX_PRODUCT_ID = 2n ** 63n - 1n;

/**
 * A user id that passed {@link parseUserId}. The brand keeps raw strings out of the repository,
 * whose Redis keys are derived from this value.
 */
export type UserId = string & { readonly __userId: unique symbol };

/** One product line of a basket, priced when the line was first added. */
export interface BasketItem {
  id: string;
  productId: bigint;
  name: string;
  quantity: number;
  /** Unit price captured when the line was first added; checkout re-prices. */
  price: Cents;
  /** `price × quantity`, exact. */
  subtotal: Cents;
  category: string;
  createdAt: Date;
}

/** A user's basket. `id` is stable for the basket's life; `total` is the exact sum of subtotals. */
export interface Basket {
  id: string;
  userId: UserId;
  items: BasketItem[];
  total: Cents;
  createdAt: Date;
  updatedAt: Date;
}

/** A line as stored: everything but the derived subtotal. */
export type StoredItem = Omit<BasketItem, "subtotal">;

// C0 and C1 control characters, DEL included.
const CONTROL = /\p{Cc}/u;

/**
 * Validates a user id: non-empty, at most {@link MAX_USER_ID_LENGTH} characters, not only
 * whitespace, no control characters, well-formed Unicode. Throws InvalidArgument("user_id").
 */
export function parseUserId(raw: string): UserId {
  const problem = userIdProblem(raw);
  if (problem) throw new InvalidArgument("user_id", problem);
  return raw as UserId;
}

function userIdProblem(raw: string): string | undefined {
  if (raw.length === 0) return "must not be empty";
  if (raw.length > MAX_USER_ID_LENGTH) return `must be at most ${MAX_USER_ID_LENGTH} characters`;
  if (raw.trim().length === 0) return "must not be only whitespace";
  if (CONTROL.test(raw)) return "must not contain control characters";
  if (!raw.isWellFormed()) return "must be well-formed Unicode";
  return undefined;
}

/** Validates a product id: a positive int64. Throws InvalidArgument("product_id"). */
export function parseProductId(raw: bigint): bigint {
  if (raw < 1n || raw > MAX_PRODUCT_ID) {
    throw new InvalidArgument("product_id", "must be a positive 64-bit integer");
  }
  return raw;
}

/** Validates a requested quantity: an integer from 1 to {@link MAX_QUANTITY}. */
export function parseQuantity(raw: number): number {
  if (!Number.isInteger(raw) || raw < 1 || raw > MAX_QUANTITY) {
    throw new InvalidArgument("quantity", `must be an integer from 1 to ${MAX_QUANTITY}`);
  }
  return raw;
}

/** The most of a product one line may hold given the product's current stock. */
export function lineLimit(stock: number): number {
  if (Number.isNaN(stock)) return 0;
  return Math.max(0, Math.min(Math.floor(stock), MAX_QUANTITY));
}

/**
 * The stock rule: a line may hold no more than the product's current stock and no more than
 * {@link MAX_QUANTITY}. Throws FailedPrecondition naming the product, the stock and the quantity
 * the basket would have held.
 */
export function assertLineQuantity(productId: bigint, wanted: number, stock: number): void {
  if (wanted > stock) {
    const available = stock <= 0 ? "none" : `only ${stock}`;
    throw new FailedPrecondition(
      `${available} of product ${productId} in stock, basket would hold ${wanted}`,
    );
  }
  if (wanted > MAX_QUANTITY) {
    throw new FailedPrecondition(
      `a line holds at most ${MAX_QUANTITY} of a product, basket would hold ${wanted} of product ${productId}`,
    );
  }
}

/**
 * Assembles a basket from its stored parts: computes every subtotal and the total exactly and
 * orders lines by when they were added (then by product id), so the order is stable.
 */
export function assembleBasket(
  head: { id: string; userId: UserId; createdAt: Date; updatedAt: Date },
  stored: readonly StoredItem[],
): Basket {
  const items = stored
    .map((item) => ({ ...item, subtotal: multiplyMoney(item.price, item.quantity) }))
    .sort(byAddedThenProduct);
  return { ...head, items, total: sumMoney(items.map((item) => item.subtotal)) };
}

function byAddedThenProduct(a: StoredItem, b: StoredItem): number {
  const byTime = a.createdAt.getTime() - b.createdAt.getTime();
  if (byTime !== 0) return byTime;
  return a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0;
}
