import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, createClient, type Transport } from "@connectrpc/connect";
import { StockService } from "#gen/shop/product/v1/stock_pb";
import { FailedPrecondition } from "#shared/errors";
import { parseMoney } from "#shared/money";
import type { ProductSnapshot } from "./product-catalog.js";
import { hasCode, requestHeaders, upstreamFailure } from "./upstream-errors.js";

/** A quantity of one product to hold for a payment. */
export type StockLine = { readonly productId: bigint; readonly quantity: number };

/** The product service's stock reservations as payments use them. */
export type StockReservations = ReturnType<typeof createStockReservations>;

/**
 * Reserves, commits and releases stock over gRPC, one reservation per payment (its id is the
 * payment id). Every call is idempotent on the product service's side, so repeating one after a
 * timeout is safe.
 */
export function createStockReservations(transport: Transport) {
  const client = createClient(StockService, transport);
  return {
    /**
     * Takes every line out of stock, or none. FailedPrecondition with the product service's own
     * words when a product is short or unknown. Resolves with the reserved products' name, price
     * and category as the product service read them while reserving; a product service that
     * does not send them yet answers none (the caller asks GetProduct then).
     */
    async reserve(
      reservationId: string,
      lines: readonly StockLine[],
      expiresAt: Date,
      requestId?: string,
    ): Promise<ProductSnapshot[]> {
      try {
        const { products } = await client.reserveStock(
          { reservationId, lines: [...lines], expiresAt: timestampFromDate(expiresAt) },
          { headers: requestHeaders(requestId) },
        );
        return products.map(({ id, name, price, category }) => {
          const cents = parseMoney(price);
          if (cents === undefined) {
            throw new Error(`product service sent a malformed price for product ${id}`);
          }
          return { id, name, price: cents, category };
        });
      } catch (error) {
        const refusal = hasCode(error, Code.FailedPrecondition) ?? hasCode(error, Code.NotFound);
        if (refusal) throw new FailedPrecondition(refusal.rawMessage);
        throw upstreamFailure(error, "product", "ReserveStock", "no payment was created");
      }
    },

    /** Makes the reservation final (sold). */
    async commit(reservationId: string, requestId?: string): Promise<void> {
      try {
        await client.commitStock({ reservationId }, { headers: requestHeaders(requestId) });
      } catch (error) {
        throw upstreamFailure(error, "product", "CommitStock", "the sale is applied by event");
      }
    },

    /** Puts the reserved stock back; releasing an unknown reservation changes nothing. */
    async release(reservationId: string, requestId?: string): Promise<void> {
      try {
        await client.releaseStock({ reservationId }, { headers: requestHeaders(requestId) });
      } catch (error) {
        if (hasCode(error, Code.NotFound)) return;
        throw upstreamFailure(error, "product", "ReleaseStock", "the release is applied by event");
      }
    },
  };
}
