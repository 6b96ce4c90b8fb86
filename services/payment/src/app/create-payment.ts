import { FailedPrecondition } from "#shared/errors";
import type { ProductCatalog, ProductSnapshot } from "../clients/product-catalog.js";
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
 * CreatePayment: reserves the user's basket's stock (reservation id = payment id), prices every
 * line at the catalogue's current name, price and category as the reservation read them, and
 * stores payment + items as PENDING in one transaction. With an idempotency key, a request the
 * user already made returns that payment and does no new work; when two such requests race, the
 * database's unique key picks one and the loser gives its reservation back and returns the
 * winner's payment.
 */
export function createCreatePayment(deps: PaymentDeps) {
  const { queries, baskets, catalog, stock, payments, logger, settings } = deps;

  const previous = (request: CheckoutRequest) =>
    request.idempotencyKey === undefined
      ? undefined
      : queries.findByIdempotencyKey(request.userId, request.idempotencyKey);

  const release = (paymentId: string, ctx: CallContext) =>
    stock.release(paymentId, ctx.requestId).catch((error: unknown) => {
      logger.warn({ err: error, paymentId }, "releasing an unused reservation failed");
    });

  /** The reserved products, or the payment a racing request with the same key stored. */
  async function reserve(
    id: string,
    lines: readonly BasketLine[],
    until: Date,
    request: CheckoutRequest,
    ctx: CallContext,
  ): Promise<{ products: ProductSnapshot[] } | { winner: Payment }> {
    try {
      return { products: await stock.reserve(id, lines, until, ctx.requestId) };
    } catch (error) {
      // The call may have reserved before it failed (a timeout): give it back, by its id.
      if (!(error instanceof FailedPrecondition)) await release(id, ctx);
      // A racing request with the same key may have taken the stock this one wanted.
      const winner = await previous(request);
      if (winner) return { winner };
      throw error;
    }
  }

  async function store(payment: PendingPayment, request: CheckoutRequest, ctx: CallContext) {
    try {
      await payments.insertPending(payment);
      return payment;
    } catch (error) {
      await release(payment.id, ctx);
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
    const now = deps.clock();
    const id = newUuidV7(now.getTime());
    const expiresAt = new Date(now.getTime() + settings.ttlSeconds * 1000);
    const until = new Date(expiresAt.getTime() + RESERVATION_MARGIN_MS);
    const reserved = await reserve(id, basket.lines, until, request, ctx);
    if ("winner" in reserved) return reserved.winner;
    let payment: PendingPayment;
    try {
      const lines = await priceLines(catalog, basket.lines, reserved.products, request.userId, ctx);
      payment = newPendingPayment({
        id,
        request,
        basketId: basket.id,
        provider: deps.provider.name,
        lines,
        now,
        ttlSeconds: settings.ttlSeconds,
        newItemId: () => newUuidV7(now.getTime()),
      });
    } catch (error) {
      await release(id, ctx);
      throw error;
    }
    return store(payment, request, ctx);
  };
}

/** A basket line as checkout reads it. */
type BasketLine = { readonly productId: bigint; readonly quantity: number };

/**
 * Every basket line at the catalogue's current name, price and category: as the reservation
 * read them, or from GetProduct for a product the reservation did not describe (a product
 * service that does not send them yet).
 */
async function priceLines(
  catalog: ProductCatalog,
  lines: readonly BasketLine[],
  reserved: readonly ProductSnapshot[],
  userId: string,
  ctx: CallContext,
): Promise<PricedLine[]> {
  const known = new Map(reserved.map((product) => [product.id, product]));
  return Promise.all(
    lines.map(async ({ productId, quantity }) => {
      const product = known.get(productId) ?? (await catalog.getProduct(productId, ctx.requestId));
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
