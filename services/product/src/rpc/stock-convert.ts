import { create } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  type Reservation as ReservationMessage,
  ReservationSchema,
  ReservationStatus,
  type ReservedProduct as ReservedProductMessage,
  ReservedProductSchema,
  type ReserveStockRequest,
} from "#gen/shop/product/v1/stock_pb";
import type { ReservedProduct } from "../db/reserve-stock.js";
import type { LineStatus, Reservation, StockLine } from "../domain/stock.js";
import {
  validateExpiry,
  validateReservationId,
  validateStockLines,
} from "../domain/stock-request.js";

const STATUS: Record<LineStatus, ReservationStatus> = {
  reserved: ReservationStatus.RESERVED,
  committed: ReservationStatus.COMMITTED,
  released: ReservationStatus.RELEASED,
  restocked: ReservationStatus.RESTOCKED,
};

/** The wire form of a reservation; lines in product order. */
export function toReservationMessage(reservation: Reservation): ReservationMessage {
  return create(ReservationSchema, {
    reservationId: reservation.reservationId,
    status: STATUS[reservation.status],
    lines: reservation.lines.map(({ productId, quantity }) => ({ productId, quantity })),
    expiresAt: timestampFromDate(reservation.expiresAt),
    createdAt: timestampFromDate(reservation.createdAt),
    updatedAt: timestampFromDate(reservation.updatedAt),
  });
}

/** The wire form of a reserved product; the price as PostgreSQL printed the NUMERIC(12,2). */
export function toReservedProductMessage(product: ReservedProduct): ReservedProductMessage {
  return create(ReservedProductSchema, product);
}

/** A validated ReserveStock request. */
export type ReserveStock = { reservationId: string; lines: StockLine[]; expiresAt: Date };

/**
 * Validates a ReserveStock request as of `now`: reservation_id 1–64 characters, 1–100 lines of
 * distinct positive product ids with quantities ≥ 1, expires_at set and in the future (at most
 * 7 days ahead). Throws InvalidArgument naming the field.
 */
export function parseReserveStock(request: ReserveStockRequest, now: Date): ReserveStock {
  const reservationId = validateReservationId(request.reservationId);
  const lines = validateStockLines(request.lines);
  const expiresAt = request.expiresAt ? timestampDate(request.expiresAt) : undefined;
  return { reservationId, lines, expiresAt: validateExpiry(expiresAt, now) };
}
