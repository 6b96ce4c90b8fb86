import type { ServiceImpl } from "@connectrpc/connect";
import type { StockService } from "#gen/shop/product/v1/stock_pb";
import type { StockRepository } from "../db/stock-repository.js";
import { validateReservationId } from "../domain/stock-request.js";
import {
  parseReserveStock,
  toReservationMessage,
  toReservedProductMessage,
} from "./stock-convert.js";

/**
 * The StockService RPCs (internal: the payment service calls them over gRPC). Every one is
 * idempotent per reservation id, so a caller may repeat any of them after a timeout.
 */
export function createStockService(stock: StockRepository): ServiceImpl<typeof StockService> {
  const reservationOf = (req: { reservationId: string }) =>
    validateReservationId(req.reservationId);
  return {
    async reserveStock(req) {
      const { reservationId, lines, expiresAt } = parseReserveStock(req, new Date());
      const { reservation, products } = await stock.reservePriced(reservationId, lines, expiresAt);
      return {
        reservation: toReservationMessage(reservation),
        products: products.map(toReservedProductMessage),
      };
    },
    async commitStock(req) {
      return { reservation: toReservationMessage(await stock.commit(reservationOf(req))) };
    },
    async releaseStock(req) {
      return { reservation: toReservationMessage(await stock.release(reservationOf(req))) };
    },
    async getReservation(req) {
      return { reservation: toReservationMessage(await stock.get(reservationOf(req))) };
    },
  };
}
