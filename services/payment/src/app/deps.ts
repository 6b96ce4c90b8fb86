import { PermissionDenied } from "#shared/errors";
import type { Logger } from "#shared/logger";
import type { BasketReader } from "../clients/basket.js";
import type { ProductCatalog } from "../clients/product-catalog.js";
import type { StockReservations } from "../clients/stock.js";
import type { PaymentQueries } from "../db/payment-reads.js";
import type { PaymentRepository } from "../db/payment-repository.js";
import type { PaymentProvider } from "../provider/payment-provider.js";

/** Everything the use cases work with; each factory takes the part it needs. */
export type PaymentDeps = {
  readonly payments: PaymentRepository;
  readonly queries: PaymentQueries;
  readonly baskets: BasketReader;
  readonly catalog: ProductCatalog;
  readonly stock: StockReservations;
  readonly provider: PaymentProvider;
  readonly logger: Logger;
  /** The time every decision uses (expiry, timestamps); tests move it. */
  readonly clock: () => Date;
  /** How long a PENDING payment waits, and the catalogue's currency. */
  readonly settings: { readonly ttlSeconds: number; readonly shopCurrency: string };
  /** Called after a commit that wrote outbox rows, so a relay can publish at once. */
  readonly outboxWritten?: () => void;
};

/**
 * Whose payments a call may touch: one user's (an end user, by their verified subject) or any
 * (a shop service). Admins are users here: their role opens the ADMIN RPCs, not others' data.
 */
export type Actor =
  | { readonly kind: "user"; readonly userId: string }
  | { readonly kind: "service" };

/** Who asked, for the owner check, the logs and the calls to other services. */
export type CallContext = { readonly requestId?: string | undefined; readonly actor: Actor };

/**
 * The owner check of the RPCs that name a payment by id: made on the stored record, after
 * loading it, never on anything the request says. PermissionDenied for another user's payment.
 */
export function requireOwner(payment: { id: string; userId: string }, actor: Actor): void {
  if (actor.kind === "service" || actor.userId === payment.userId) return;
  throw new PermissionDenied(`payment ${payment.id} belongs to another user`);
}

/**
 * A stock call made after the payment's transaction committed. The state change and its events
 * are durable by then and the product service applies the same change from those events
 * (idempotently), so a failure here is logged, never the caller's error.
 */
export async function followUp(
  logger: Logger,
  what: string,
  paymentId: string,
  call: Promise<void>,
): Promise<void> {
  try {
    await call;
  } catch (error) {
    logger.warn({ err: error, paymentId }, `${what} failed; the outbox event will apply it`);
  }
}
