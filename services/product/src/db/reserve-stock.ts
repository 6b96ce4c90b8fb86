import { FailedPrecondition, NotFound } from "#shared/errors";
import { byProductId, type StockLine } from "../domain/stock.js";
import type { ProductSql } from "./connection.js";
import type { StockReservationRow } from "./schema.js";

/** The SQLSTATEs `reserve_stock` raises (migration 0003_stock-functions). */
const UNKNOWN_PRODUCT = "SR001";
const TOO_LITTLE_STOCK = "SR002";

/** A `stock_reservations` row as a raw query of the drizzle-configured client returns it. */
export type LineColumns = {
  reservation_id: string;
  product_id: bigint;
  quantity: number;
  status: StockReservationRow["status"];
  // Text: drizzle sets the client's timestamp parsers to pass text through, and maps it itself.
  expires_at: string;
  created_at: string;
  updated_at: string;
};

/**
 * Calls the database function `reserve_stock` — one statement, one round trip, so the products'
 * row locks are held only while the function runs. Inside it, under an advisory lock on the id:
 * the lines already stored under `id` if any (the caller checks the replay), else every product
 * locked in id order, checked, decremented and the lines inserted, all or none.
 * `lines` must be validated (one per product). Unknown product → NotFound; too little stock →
 * FailedPrecondition. Returns the lines in product order.
 */
export async function reserveStock(
  client: ProductSql,
  id: string,
  lines: readonly StockLine[],
  expiresAt: Date,
): Promise<StockReservationRow[]> {
  const productIds = lines.map((line) => String(line.productId));
  const quantities = lines.map((line) => line.quantity);
  try {
    const rows = await client<LineColumns[]>`
      SELECT * FROM reserve_stock(${id}, ${productIds}::bigint[], ${quantities}::int[],
        ${expiresAt.toISOString()}::timestamptz)`;
    return rows.map(toRow).sort(byProductId);
  } catch (error) {
    throw refusal(error) ?? error;
  }
}

function refusal(error: unknown): Error | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, detail } = error as Error & { code?: string; detail?: string };
  if (code === UNKNOWN_PRODUCT) return new NotFound("product", BigInt(detail ?? "0"));
  if (code === TOO_LITTLE_STOCK) return new FailedPrecondition(error.message);
  return undefined;
}

/** A row as drizzle reads it: `new Date(text)`, as its timestamp columns map them. */
export function toRow(row: LineColumns): StockReservationRow {
  return {
    reservationId: row.reservation_id,
    productId: row.product_id,
    quantity: row.quantity,
    status: row.status,
    expiresAt: new Date(row.expires_at),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}
