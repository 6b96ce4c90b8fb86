import { FailedPrecondition } from "#shared/errors";
import type { ProductCatalog } from "../clients/product-catalog.js";
import { DuplicateIdempotencyKey } from "../db/payment-repository.js";
import {
  type CheckoutInput,
  type CheckoutRequest,
  emptyBasket,
  newPendingPayment,
  type PricedLine,
  parseCheckoutRequest,
} from "../domain/checkout.js";
import type { Payment, PendingPayment } from "../domain/payment.js";
import { newUuidV7 } from "../domain/payment-id.js";
import type { CallContext, PaymentDeps } from "./deps.js";

/** A reservation outlives its payment by this much, so the payment always expires first. */
const RESERVATION_MARGIN_MS = 60 * 60 * 1000;

/**
 * CreatePayment: prices the user's basket against the catalogue as it is now, reserves its stock
 * (reservation id = payment id) and stores payment + items as PENDING in one transaction.
 * With an idempotency key, a request the user already made returns that payment and does no new
 * work; when two such requests race, the database's unique key picks one and the loser gives its
 * reservation back and returns the winner's payment.
 */
export function createCreatePayment(deps: PaymentDeps) {
  const { queries, baskets, catalog, stock, payments, logger, settings } = deps;

  const previous = (request: CheckoutRequest) =>
    request.idempotencyKey === undefined
      ? undefined
      : queries.findByIdempotencyKey(request.userId, request.idempotencyKey);

  const release = (payment: PendingPayment, ctx: CallContext) =>
    stock.release(payment.id, ctx.requestId).catch((error: unknown) => {
      logger.warn({ err: error, paymentId: payment.id }, "releasing an unused reservation failed");
    });

  async function reserve(payment: PendingPayment, request: CheckoutRequest, ctx: CallContext) {
    const lines = payment.items.map(({ productId, quantity }) => ({ productId, quantity }));
    const until = new Date(payment.expiresAt.getTime() + RESERVATION_MARGIN_MS);
    try {
      await stock.reserve(payment.id, lines, until, ctx.requestId);
    } catch (error) {
      // The call may have reserved before it failed (a timeout): give it back, by its id.
      if (!(error instanceof FailedPrecondition)) await release(payment, ctx);
      // A racing request with the same key may have taken the stock this one wanted.
      const winner = await previous(request);
      if (winner) return winner;
      throw error;
    }
    return undefined;
  }

  async function store(payment: PendingPayment, request: CheckoutRequest, ctx: CallContext) {
    try {
      await payments.insertPending(payment);
      return payment;
    } catch (error) {
      await release(payment, ctx);
      const winner = error instanceof DuplicateIdempotencyKey ? await previous(request) : undefined;
      if (winner) return winner;
      throw error;
    }
  }

  return async function createPayment(input: CheckoutInput, ctx: CallContext): Promise<Payment> {
    const request = parseCheckoutRequest(input, settings.shopCurrency);
    const replay = await previous(request);
    if (replay) return replay;
    const basket = await baskets.getBasket(request.userId, ctx.requestId);
    if (!basket || basket.lines.length === 0) throw emptyBasket(request.userId);
    const lines = await priceLines(catalog, basket.lines, request.userId, ctx);
    const now = deps.clock();
    const payment = newPendingPayment({
      id: newUuidV7(now.getTime()),
      request,
      basketId: basket.id,
      provider: deps.provider.name,
      lines,
      now,
      ttlSeconds: settings.ttlSeconds,
      newItemId: () => newUuidV7(now.getTime()),
    });
    return (await reserve(payment, request, ctx)) ?? (await store(payment, request, ctx));
  };
}

/** Every basket line at the catalogue's current name, price and category. */
async function priceLines(
  catalog: ProductCatalog,
  lines: readonly { productId: bigint; quantity: number }[],
  userId: string,
  ctx: CallContext,
): Promise<PricedLine[]> {
  return Promise.all(
    lines.map(async ({ productId, quantity }) => {
      const product = await catalog.getProduct(productId, ctx.requestId);
      if (!product) {
        throw new FailedPrecondition(
          `product ${productId} in the basket of user ${userId} no longer exists`,
        );
      }
      const { name, price, category } = product;
      return { productId, quantity, name, price, category };
    }),
  );
}
