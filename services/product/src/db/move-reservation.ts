import { LINE_STATUSES, MOVES, planMove, type StockMove } from "../domain/stock.js";
import type { ProductSql } from "./connection.js";
import { type LineColumns, toRow } from "./reserve-stock.js";
import type { StockReservationRow } from "./schema.js";

/**
 * Calls the database function `move_reservation` (migration 0004_stock-moves) — one statement,
 * one round trip. Under the lines' row locks (product order, then products in id order): when no
 * line refuses `move`, the lines at its starting status move and, for release and restock, their
 * stock goes back. Returns the lines as they now stand, in product order: [] for an unknown id,
 * unchanged when a line refuses (the caller finds it with `planMove`).
 */
export async function moveReservation(
  client: ProductSql,
  reservationId: string,
  move: StockMove,
): Promise<StockReservationRow[]> {
  const { from, to, returnsStock } = MOVES[move];
  const rows = await client<LineColumns[]>`
    SELECT * FROM move_reservation(${reservationId}, ${from}, ${to}, ${DONE[move]}::text[],
      ${returnsStock})`;
  return rows.map(toRow);
}

/** Per move, the statuses at which a line needs nothing: `planMove` as the function reads it. */
const DONE: Record<StockMove, string[]> = {
  commit: doneAt("commit"),
  release: doneAt("release"),
  restock: doneAt("restock"),
};

function doneAt(move: StockMove): string[] {
  return LINE_STATUSES.filter((status) => planMove(move, status) === "done");
}
