import { InvalidArgument } from "#shared/errors";
import { MAX_STOCK_QUANTITY } from "./product.js";
import { byProductId, type StockLine } from "./stock.js";

/** The longest reservation id (a payment id), in characters. */
export const MAX_RESERVATION_ID_LENGTH = 64;

/** The most lines one reservation may hold. */
export const MAX_RESERVATION_LINES = 100;

/** How far ahead a reservation may expire: it holds stock nobody else can buy until then. */
export const MAX_RESERVATION_MS = 7 * 24 * 60 * 60 * 1000;

// C0 and C1 control characters, DEL included.
const CONTROL = /\p{Cc}/u;

/**
 * A reservation id: 1–64 characters, no control characters, well-formed Unicode.
 * Throws InvalidArgument("reservation_id").
 */
export function validateReservationId(id: string): string {
  if (id === "") throw new InvalidArgument("reservation_id", "is required");
  if (!id.isWellFormed() || CONTROL.test(id)) {
    throw new InvalidArgument("reservation_id", "must be printable text");
  }
  if ([...id].length > MAX_RESERVATION_ID_LENGTH) {
    throw new InvalidArgument(
      "reservation_id",
      `must be at most ${MAX_RESERVATION_ID_LENGTH} characters`,
    );
  }
  return id;
}

/**
 * The lines of a reservation: 1–100, one per product, positive product ids, quantities from 1 to
 * 2147483647. Returns them ordered by product id — the order every transaction locks products
 * in, so two reservations never wait on each other in a cycle. Throws InvalidArgument naming the
 * field (`lines[2].quantity`).
 */
export function validateStockLines(lines: readonly StockLine[]): StockLine[] {
  if (lines.length === 0) throw new InvalidArgument("lines", "must hold at least one line");
  if (lines.length > MAX_RESERVATION_LINES) {
    throw new InvalidArgument("lines", `must hold at most ${MAX_RESERVATION_LINES} lines`);
  }
  const seen = new Set<bigint>();
  for (const [index, { productId, quantity }] of lines.entries()) {
    if (productId <= 0n) {
      throw new InvalidArgument(`lines[${index}].product_id`, "must be a positive product id");
    }
    if (!Number.isInteger(quantity) || quantity < 1 || quantity > MAX_STOCK_QUANTITY) {
      throw new InvalidArgument(
        `lines[${index}].quantity`,
        `must be an integer from 1 to ${MAX_STOCK_QUANTITY}`,
      );
    }
    if (seen.has(productId)) {
      throw new InvalidArgument(
        "lines",
        `product ${productId} appears twice; one line per product`,
      );
    }
    seen.add(productId);
  }
  return lines.map(({ productId, quantity }) => ({ productId, quantity })).sort(byProductId);
}

/**
 * When a new reservation gives its stock back: required, after `now`, at most 7 days ahead.
 * Throws InvalidArgument("expires_at").
 */
export function validateExpiry(expiresAt: Date | undefined, now: Date): Date {
  if (!expiresAt) throw new InvalidArgument("expires_at", "is required");
  if (expiresAt.getTime() <= now.getTime()) {
    throw new InvalidArgument("expires_at", "must be in the future");
  }
  if (expiresAt.getTime() - now.getTime() > MAX_RESERVATION_MS) {
    throw new InvalidArgument("expires_at", "must be at most 7 days ahead");
  }
  return expiresAt;
}
