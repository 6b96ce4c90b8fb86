import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { type LineStatus, MOVES, planMove, type StockMove } from "../domain/stock.js";
import { processedEvents, stockReservations } from "./schema.js";
import { applyMove, lineKey, type StockTx } from "./stock-lines.js";

/** Why stock moved, as a StockUpdated event says (topic `stock-events`). */
export type StockChange = "sold" | "released" | "restocked";

/** One StockUpdated event: one product's line of one payment's reservation. */
export type StockUpdate = {
  /** The CloudEvent id; an id seen before is not applied again. */
  readonly eventId: string;
  readonly productId: bigint;
  /** The payment id, which is the reservation id. */
  readonly paymentId: string;
  readonly quantity: number;
  readonly reason: StockChange;
};

/**
 * What applying an event did. Only "applied" changed anything besides recording the event id.
 * - applied: the line moved `from` → `to` (released and restocked units went back into stock);
 * - unchanged: the line already stood there (e.g. SOLD after CommitStock arrived over gRPC);
 * - refused: the move is illegal from the line's status, or the quantity is not the line's;
 * - unknown: there is no such reservation line;
 * - duplicate: this event id was processed before.
 */
export type StockEventOutcome =
  | { readonly result: "applied"; readonly from: LineStatus; readonly to: LineStatus }
  | { readonly result: "unchanged"; readonly status: LineStatus }
  | { readonly result: "refused"; readonly status: LineStatus; readonly reason: string }
  | { readonly result: "unknown" }
  | { readonly result: "duplicate" };

const MOVE_OF: Record<StockChange, StockMove> = {
  sold: "commit",
  released: "release",
  restocked: "restock",
};

/**
 * Applies a StockUpdated event to its reservation line in ONE transaction that also records the
 * event id, so the effect happens exactly once however often the event is delivered, also when
 * copies race. Every outcome but a thrown error records the id: an event for an unknown line or
 * an illegal move can never become applicable later, so retrying it would only block its
 * partition; the caller logs it instead.
 */
export function applyStockUpdated(
  db: PostgresJsDatabase,
  update: StockUpdate,
): Promise<StockEventOutcome> {
  return db.transaction(async (tx) => {
    // A concurrent copy of this event waits on this row until the first one commits.
    const fresh = await tx
      .insert(processedEvents)
      .values({ eventId: update.eventId })
      .onConflictDoNothing()
      .returning({ eventId: processedEvents.eventId });
    if (fresh.length === 0) return { result: "duplicate" };
    return moveLine(tx, update);
  });
}

async function moveLine(tx: StockTx, update: StockUpdate): Promise<StockEventOutcome> {
  const [row] = await tx
    .select()
    .from(stockReservations)
    .where(lineKey(update.paymentId, update.productId))
    .for("update");
  if (!row) return { result: "unknown" };
  const move = MOVE_OF[update.reason];
  if (row.quantity !== update.quantity) {
    const reason = `quantity ${update.quantity} is not the reserved ${row.quantity}`;
    return { result: "refused", status: row.status, reason };
  }
  const plan = planMove(move, row.status);
  if (plan === "done") return { result: "unchanged", status: row.status };
  if (plan === "refuse") {
    const reason = `the line is ${row.status} and cannot become ${MOVES[move].to}`;
    return { result: "refused", status: row.status, reason };
  }
  await applyMove(tx, [row], move);
  return { result: "applied", from: row.status, to: MOVES[move].to };
}
