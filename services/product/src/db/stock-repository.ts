import { and, asc, eq, lt } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import { FailedPrecondition, NotFound } from "#shared/errors";
import {
  holdsSameLines,
  illegalMove,
  planMove,
  type Reservation,
  type StockLine,
  type StockMove,
} from "../domain/stock.js";
import { validateReservationId, validateStockLines } from "../domain/stock-request.js";
import type { ProductSql } from "./connection.js";
import { moveReservation as moveLines } from "./move-reservation.js";
import { type ReservedProduct, reserveStock } from "./reserve-stock.js";
import { stockReservations } from "./schema.js";
import {
  applyStockUpdated,
  applyStockUpdates,
  forgetProcessedEvents,
  type StockUpdate,
} from "./stock-events.js";
import { applyMove, selectLines, toReservation } from "./stock-lines.js";

/**
 * Stock reservations in the product database. Every method is one transaction and idempotent
 * per reservation id; `products.stock_quantity` only ever moves together with a line's status,
 * and never below 0 (a conditional decrement under a row lock, and a CHECK behind it).
 */
export function createStockRepository(client: ProductSql) {
  const db = drizzle({ client });

  /** Moves every line of a reservation, or none: FailedPrecondition if one line refuses. */
  const moveReservation = (move: StockMove) => async (reservationId: string) => {
    const rows = await moveLines(client, validateReservationId(reservationId), move);
    if (rows.length === 0) throw new NotFound("reservation", reservationId);
    // A refused move left every line as it was, so the first refusing line is still there.
    const refused = rows.find((row) => planMove(move, row.status) === "refuse");
    if (refused) throw illegalMove(`reservation ${reservationId}`, refused.status, move);
    return toReservation(rows);
  };

  async function reservePriced(
    reservationId: string,
    lines: readonly StockLine[],
    expiresAt: Date,
  ): Promise<{ reservation: Reservation; products: ReservedProduct[] }> {
    const id = validateReservationId(reservationId);
    const wanted = validateStockLines(lines);
    const { rows, products } = await reserveStock(client, id, wanted, expiresAt);
    // New lines pass `replay` as they are; lines that were there already must be a replay.
    return { reservation: replay(toReservation(rows), wanted), products };
  }

  return {
    /**
     * Takes every line's quantity out of stock, or none of them, and records the reservation.
     * A repeat with the same lines returns the reservation as it stands; with other lines, or
     * once it was released or restocked, FailedPrecondition. Unknown product → NotFound; too
     * little stock → FailedPrecondition; malformed id or lines → InvalidArgument. `expiresAt` is
     * stored as given (the RPC insists on a future one; tests use past ones).
     */
    async reserve(reservationId: string, lines: readonly StockLine[], expiresAt: Date) {
      return (await reservePriced(reservationId, lines, expiresAt)).reservation;
    },

    /**
     * `reserve`, also answering each reserved product's name, price and category as the
     * reserving statement read them (a product deleted since a replayed reservation is left out).
     */
    reservePriced,

    /** Sells a reservation: reserved → committed. Committed (or since restocked): no change. */
    commit: moveReservation("commit"),

    /** Gives an unsold reservation back: reserved → released. Released: no change. */
    release: moveReservation("release"),

    /** Takes sold goods back (a full refund): committed → restocked. Restocked: no change. */
    restock: moveReservation("restock"),

    /** The reservation as it stands; NotFound when the id is unknown. */
    async get(reservationId: string): Promise<Reservation> {
      const rows = await selectLines(db, validateReservationId(reservationId));
      if (rows.length === 0) throw new NotFound("reservation", reservationId);
      return toReservation(rows);
    },

    /**
     * Releases up to `limit` lines still reserved whose expiry is before `before`, oldest first,
     * and returns how many. Lines another transaction holds are skipped, not waited for, so
     * several service instances can sweep at once without releasing a line twice.
     */
    releaseExpired: (before: Date, limit: number) =>
      db.transaction(async (tx): Promise<number> => {
        const rows = await tx
          .select()
          .from(stockReservations)
          .where(
            and(eq(stockReservations.status, "reserved"), lt(stockReservations.expiresAt, before)),
          )
          .orderBy(asc(stockReservations.expiresAt))
          .limit(limit)
          .for("update", { skipLocked: true });
        return (await applyMove(tx, rows, "release")).length;
      }),

    /** Applies one stock event exactly once in effect; see `applyStockUpdated`. */
    applyStockUpdated: (update: StockUpdate) => applyStockUpdated(client, update),

    /** Applies several stock events in order, in one statement; see `applyStockUpdates`. */
    applyStockUpdates: (updates: readonly StockUpdate[]) => applyStockUpdates(client, updates),

    /** Forgets up to `limit` ids of events processed before `before`; see `forgetProcessedEvents`. */
    forgetProcessedEvents: (before: Date, limit: number) =>
      forgetProcessedEvents(client, before, limit),
  };
}

/** The repository's shape, for callers that want to name it. */
export type StockRepository = ReturnType<typeof createStockRepository>;

function replay(reservation: Reservation, wanted: readonly StockLine[]): Reservation {
  const id = reservation.reservationId;
  if (!holdsSameLines(reservation, wanted)) {
    throw new FailedPrecondition(`reservation ${id} exists with other lines`);
  }
  const gone = reservation.lines.find(
    (line) => line.status === "released" || line.status === "restocked",
  );
  if (gone) throw new FailedPrecondition(`reservation ${id} is ${gone.status} and holds no stock`);
  return reservation;
}
