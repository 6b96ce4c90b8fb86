import { and, asc, eq, or, sql } from "drizzle-orm";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { FailedPrecondition } from "#shared/errors";
import {
  byProductId,
  MOVES,
  type Reservation,
  reservationStatus,
  type StockMove,
} from "../domain/stock.js";
import { products, type StockReservationRow, stockReservations } from "./schema.js";

/** A transaction of the product database's drizzle instance. */
export type StockTx = Parameters<Parameters<PostgresJsDatabase["transaction"]>[0]>[0];
type StockDb = PostgresJsDatabase | StockTx;

/**
 * The lines of a reservation in product order; [] when the id is unknown. With `lock`, the rows
 * stay locked until the transaction ends (always in product order, so two callers moving the same
 * reservation queue up instead of deadlocking).
 */
export function selectLines(
  db: StockDb,
  reservationId: string,
  lock = false,
): Promise<StockReservationRow[]> {
  const query = db
    .select()
    .from(stockReservations)
    .where(eq(stockReservations.reservationId, reservationId))
    .orderBy(asc(stockReservations.productId));
  return lock ? query.for("update") : query;
}

/**
 * Sets locked `rows` to the result of `move` and, for release and restock, puts their quantities
 * back into stock — product by product in id order, the order every writer locks products in.
 * Returns the rows as they now are. A product deleted meanwhile simply gets nothing back.
 */
export async function applyMove(
  tx: StockTx,
  rows: readonly StockReservationRow[],
  move: StockMove,
): Promise<StockReservationRow[]> {
  if (rows.length === 0) return [];
  const { to, returnsStock } = MOVES[move];
  const moved = await tx
    .update(stockReservations)
    .set({ status: to, updatedAt: sql`now()` })
    .where(or(...rows.map((row) => lineKey(row.reservationId, row.productId))))
    .returning();
  if (returnsStock) await putBack(tx, rows);
  return moved;
}

/** The condition that picks one reservation line. */
function lineKey(reservationId: string, productId: bigint) {
  return and(
    eq(stockReservations.reservationId, reservationId),
    eq(stockReservations.productId, productId),
  );
}

async function putBack(tx: StockTx, rows: readonly StockReservationRow[]): Promise<void> {
  const returned = new Map<bigint, number>();
  for (const row of rows) {
    returned.set(row.productId, (returned.get(row.productId) ?? 0) + row.quantity);
  }
  const ordered = [...returned].map(([productId, quantity]) => ({ productId, quantity }));
  for (const { productId, quantity } of ordered.sort(byProductId)) {
    // Saturates at the int4 maximum rather than failing: a release that can never succeed
    // would stall the sweeper on the same row for ever.
    await tx
      .update(products)
      .set({
        stockQuantity: sql`least(${products.stockQuantity}::bigint + ${quantity}, 2147483647)`,
        updatedAt: sql`now()`,
      })
      .where(eq(products.id, productId));
  }
}

/**
 * Refuses (FailedPrecondition) while some of the product's stock is reserved for an unfinished
 * payment. Called with the product row locked: a reservation takes that lock before it inserts
 * its lines, so none can slip in between this check and the delete.
 */
export async function refuseWhileReserved(tx: StockTx, productId: bigint): Promise<void> {
  const [held] = await tx
    .select({ units: sql<string | null>`sum(${stockReservations.quantity})` })
    .from(stockReservations)
    .where(
      and(eq(stockReservations.productId, productId), eq(stockReservations.status, "reserved")),
    );
  if (held?.units) {
    throw new FailedPrecondition(
      `product ${productId} has ${held.units} reserved for unfinished payments`,
    );
  }
}

/** Reservation rows (one reservation, product order) as the domain sees them. */
export function toReservation(rows: readonly StockReservationRow[]): Reservation {
  const [first] = rows;
  if (!first) throw new Error("a reservation has at least one line");
  return {
    reservationId: first.reservationId,
    status: reservationStatus(rows),
    lines: rows.map(({ productId, quantity, status }) => ({ productId, quantity, status })),
    expiresAt: first.expiresAt,
    createdAt: first.createdAt,
    updatedAt: new Date(Math.max(...rows.map((row) => row.updatedAt.getTime()))),
  };
}
