import { type LineStatus, MOVES, planMove, type StockMove } from "../domain/stock.js";
import type { ProductSql } from "./connection.js";

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
 * The row the database function `apply_stock_updated` returns (migrations 0004_stock-moves and
 * 0005_stock-event-no-op-reads).
 */
type ApplyColumns = {
  fresh: boolean;
  status: LineStatus | null;
  quantity: number | null;
  applied: boolean;
};

/**
 * Applies a StockUpdated event to its reservation line in ONE statement (`apply_stock_updated`)
 * that also records the event id, so the effect happens exactly once however often the event is
 * delivered, also when copies race. Every outcome but a thrown error records the id: an event for
 * an unknown line or an illegal move can never become applicable later, so retrying it would only
 * block its partition; the caller logs it instead. The one exception writes nothing: an event
 * whose line already stands where it would move it (SOLD after CommitStock, every completed
 * checkout) is answered "unchanged" by reads alone — lines never move back, so it can never apply.
 */
export async function applyStockUpdated(
  client: ProductSql,
  update: StockUpdate,
): Promise<StockEventOutcome> {
  const move = MOVE_OF[update.reason];
  const { from, to, returnsStock } = MOVES[move];
  const [row] = await client<ApplyColumns[]>`
    SELECT * FROM apply_stock_updated(${update.eventId}, ${update.paymentId},
      ${String(update.productId)}::bigint, ${update.quantity}::int, ${from}, ${to}, ${returnsStock})`;
  if (!row) throw new Error(`apply_stock_updated returned no row for event ${update.eventId}`);
  return outcomeOf(move, update, row);
}

/**
 * `applyStockUpdated` for several events in ONE statement (one round trip, one commit), applied
 * in the order given — each call of the function sees what the ones before it did, so two moves
 * of one line in one batch apply as they would one by one. Resolves with each event's outcome,
 * in order; rejects with nothing applied when any of them throws.
 */
export async function applyStockUpdates(
  client: ProductSql,
  updates: readonly StockUpdate[],
): Promise<StockEventOutcome[]> {
  if (updates.length === 0) return [];
  const moves = updates.map((update) => MOVES[MOVE_OF[update.reason]]);
  const column = <T extends string | number | boolean>(
    pick: (update: StockUpdate, index: number) => T,
  ) => client.array(updates.map(pick));
  // Rows of unnest come in array order and the lateral call runs once per row, in that order.
  const rows = await client<ApplyColumns[]>`
    SELECT r.* FROM unnest(
        ${column((u) => u.eventId)}::text[], ${column((u) => u.paymentId)}::text[],
        ${column((u) => String(u.productId))}::bigint[], ${column((u) => u.quantity)}::int[],
        ${column((_, i) => moves[i]?.from ?? "")}::text[],
        ${column((_, i) => moves[i]?.to ?? "")}::text[],
        ${column((_, i) => moves[i]?.returnsStock ?? false)}::boolean[]
      ) WITH ORDINALITY AS e(event_id, reservation_id, product_id, quantity, from_status,
        to_status, returns_stock, n)
      CROSS JOIN LATERAL apply_stock_updated(e.event_id, e.reservation_id, e.product_id,
        e.quantity, e.from_status, e.to_status, e.returns_stock) AS r
      ORDER BY e.n`;
  if (rows.length !== updates.length) {
    throw new Error(`apply_stock_updated answered ${rows.length} of ${updates.length} events`);
  }
  return updates.map((update, index) => {
    return outcomeOf(MOVE_OF[update.reason], update, rows[index] as ApplyColumns);
  });
}

/** What the function did, told the way `planMove` decides it; it moved only a line at `from`. */
function outcomeOf(move: StockMove, update: StockUpdate, row: ApplyColumns): StockEventOutcome {
  if (!row.fresh) return { result: "duplicate" };
  const { status, quantity } = row;
  if (status === null || quantity === null) return { result: "unknown" };
  if (quantity !== update.quantity) {
    const reason = `quantity ${update.quantity} is not the reserved ${quantity}`;
    return { result: "refused", status, reason };
  }
  if (row.applied) return { result: "applied", from: status, to: MOVES[move].to };
  const plan = planMove(move, status);
  if (plan === "refuse") {
    const reason = `the line is ${status} and cannot become ${MOVES[move].to}`;
    return { result: "refused", status, reason };
  }
  if (plan === "apply") throw new Error(`apply_stock_updated left a ${status} line unmoved`);
  return { result: "unchanged", status };
}

/**
 * Deletes up to `limit` of the recorded event ids processed before `before`, oldest first, in
 * one statement, and resolves with how many; ids another transaction holds are skipped. Safe
 * once `before` is older than anything the topic can still deliver, and harmless even for an
 * older copy: reservation lines never move back, so a forgotten event arriving again is
 * answered "unchanged" or "refused", never applied a second time.
 */
export async function forgetProcessedEvents(
  client: ProductSql,
  before: Date,
  limit: number,
): Promise<number> {
  const { count } = await client`
    DELETE FROM processed_events WHERE event_id IN (
      SELECT event_id FROM processed_events WHERE processed_at < ${before.toISOString()}::timestamptz
      ORDER BY processed_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)`;
  return count;
}
