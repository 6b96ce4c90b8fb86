import { FailedPrecondition, InvalidArgument } from "#shared/errors";
import { type Cents, MAX_CENTS, multiplyMoney, sumMoney } from "#shared/money";
import { parseUserId, text } from "./input.js";
import type { PendingPayment } from "./payment.js";

/** A CreatePayment request as a caller sends it ("" means not set). */
export type CheckoutInput = {
  userId: string;
  method: string;
  currency: string;
  idempotencyKey: string;
  description: string;
};

/** A validated CreatePayment request. */
export type CheckoutRequest = {
  readonly userId: string;
  readonly method: string;
  /** Always the shop's currency: the catalogue has no other prices. */
  readonly currency: string;
  readonly idempotencyKey: string | undefined;
  readonly description: string;
};

/** A basket line priced against the catalogue as it is now. */
export type PricedLine = {
  readonly productId: bigint;
  readonly name: string;
  readonly quantity: number;
  readonly price: Cents;
  readonly category: string;
};

/**
 * Validates a checkout: user_id 1–128 characters (the basket's rule), method 1–50, currency empty
 * or the shop's (any letter case), idempotency_key ≤ 128, description ≤ 500, none with control
 * characters. Throws InvalidArgument naming the field.
 */
export function parseCheckoutRequest(input: CheckoutInput, shopCurrency: string): CheckoutRequest {
  const currency = input.currency.trim().toUpperCase() || shopCurrency;
  if (currency !== shopCurrency) {
    throw new InvalidArgument("currency", `must be ${shopCurrency}, the currency of the catalogue`);
  }
  const key = text("idempotency_key", input.idempotencyKey, 128, false);
  return {
    userId: parseUserId(input.userId),
    method: text("method", input.method.trim(), 50, true),
    currency,
    idempotencyKey: key === "" ? undefined : key,
    description: text("description", input.description, 500, false),
  };
}

/**
 * A new PENDING payment for `lines`: subtotals and amount in exact cents, expiring `ttlSeconds`
 * after `now`. FailedPrecondition when the basket has no lines or costs more than a DECIMAL(12,2).
 */
export function newPendingPayment(args: {
  id: string;
  request: CheckoutRequest;
  basketId: string;
  provider: string;
  lines: readonly PricedLine[];
  now: Date;
  ttlSeconds: number;
  newItemId: () => string;
}): PendingPayment {
  const { request, lines, now } = args;
  if (lines.length === 0) throw emptyBasket(request.userId);
  // Ordered by product id, as they are read back, so a payment looks the same before and after.
  const sorted = [...lines].sort((a, b) => (a.productId < b.productId ? -1 : 1));
  const items = sorted.map((line) => ({
    ...line,
    id: args.newItemId(),
    subtotal: multiplyMoney(line.price, line.quantity),
  }));
  const amount = sumMoney(items.map((item) => item.subtotal));
  if (amount > MAX_CENTS) throw new FailedPrecondition("the basket's total is too large to pay");
  return {
    status: "PENDING",
    id: args.id,
    userId: request.userId,
    basketId: args.basketId,
    amount,
    currency: request.currency,
    method: request.method,
    provider: args.provider,
    description: request.description,
    metadata: {},
    idempotencyKey: request.idempotencyKey,
    items,
    createdAt: now,
    updatedAt: now,
    expiresAt: new Date(now.getTime() + args.ttlSeconds * 1000),
  };
}

/** The refusal for a checkout without lines. */
export function emptyBasket(userId: string): FailedPrecondition {
  return new FailedPrecondition(`basket of user ${userId} is empty`);
}
