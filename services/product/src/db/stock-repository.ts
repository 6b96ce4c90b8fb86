import { and, asc, eq, gte, inArray, lt, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import { FailedPrecondition, NotFound } from "#shared/errors";
import {
  byProductId,
  holdsSameLines,
  illegalMove,
  planMove,
  type Reservation,
  type StockLine,
  type StockMove,
} from "../domain/stock.js";
import { validateReservationId, validateStockLines } from "../domain/stock-request.js";
import type { ProductSql } from "./connection.js";
import { products, stockReservations } from "./schema.js";
import { applyStockUpdated, type StockUpdate } from "./stock-events.js";
import { applyMove, type StockTx, selectLines, toReservation, withMoved } from "./stock-lines.js";

/** Namespace of the advisory locks that serialise calls for one reservation id. */
const RESERVATION_LOCK_NAMESPACE = 5050;

/**
 * Stock reservations in the product database. Every method is one transaction and idempotent
 * per reservation id; `products.stock_quantity` only ever moves together with a line's status,
 * and never below 0 (a conditional decrement under a row lock, and a CHECK behind it).
 */
export function createStockRepository(client: ProductSql) {
  const db = drizzle({ client });

  /** Moves every line of a reservation, or none: FailedPrecondition if one line refuses. */
  const moveReservation = (move: StockMove) => (reservationId: string) =>
    db.transaction(async (tx): Promise<Reservation> => {
      const rows = await selectLines(tx, validateReservationId(reservationId), true);
      if (rows.length === 0) throw new NotFound("reservation", reservationId);
      const refused = rows.find((row) => planMove(move, row.status) === "refuse");
      if (refused) throw illegalMove(`reservation ${reservationId}`, refused.status, move);
      const due = rows.filter((row) => planMove(move, row.status) === "apply");
      return toReservation(withMoved(rows, await applyMove(tx, due, move)));
    });

  return {
    /**
     * Takes every line's quantity out of stock, or none of them, and records the reservation.
     * A repeat with the same lines returns the reservation as it stands; with other lines, or
     * once it was released or restocked, FailedPrecondition. Unknown product → NotFound; too
     * little stock → FailedPrecondition; malformed id or lines → InvalidArgument. `expiresAt` is
     * stored as given (the RPC insists on a future one; tests use past ones).
     */
    async reserve(reservationId: string, lines: readonly StockLine[], expiresAt: Date) {
      const id = validateReservationId(reservationId);
      const wanted = validateStockLines(lines);
      return db.transaction(async (tx): Promise<Reservation> => {
        // A retry racing the original call waits here and then finds its lines.
        await tx.execute(
          sql`SELECT pg_advisory_xact_lock(${RESERVATION_LOCK_NAMESPACE}::int, hashtext(${id}))`,
        );
        const existing = await selectLines(tx, id);
        if (existing.length > 0) return replay(toReservation(existing), wanted);
        await takeStock(tx, wanted);
        const rows = await tx
          .insert(stockReservations)
          .values(
            wanted.map((line) => ({
              ...line,
              reservationId: id,
              status: "reserved" as const,
              expiresAt,
            })),
          )
          .returning();
        return toReservation(rows.sort(byProductId));
      });
    },

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
    applyStockUpdated: (update: StockUpdate) => applyStockUpdated(db, update),
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

/** Locks the products in id order, checks them all, then decrements each; throws on the first problem. */
async function takeStock(tx: StockTx, lines: readonly StockLine[]): Promise<void> {
  const held = await tx
    .select({ id: products.id, stock: products.stockQuantity })
    .from(products)
    .where(
      inArray(
        products.id,
        lines.map((line) => line.productId),
      ),
    )
    .orderBy(asc(products.id))
    .for("update");
  const stockOf = new Map(held.map((row) => [row.id, row.stock]));
  const unknown = lines.find((line) => !stockOf.has(line.productId));
  if (unknown) throw new NotFound("product", unknown.productId);
  for (const { productId, quantity } of lines) {
    const stock = stockOf.get(productId) ?? 0;
    if (stock < quantity) {
      throw new FailedPrecondition(
        `only ${stock} of product ${productId} in stock, ${quantity} requested`,
      );
    }
  }
  for (const { productId, quantity } of lines) {
    const taken = await tx
      .update(products)
      .set({ stockQuantity: sql`${products.stockQuantity} - ${quantity}`, updatedAt: sql`now()` })
      .where(and(eq(products.id, productId), gte(products.stockQuantity, quantity)))
      .returning({ id: products.id });
    if (taken.length === 0)
      throw new Error(`stock of product ${productId} moved under its row lock`);
  }
}
