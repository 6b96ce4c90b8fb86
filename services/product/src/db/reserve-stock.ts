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

/** A reserved product as the catalogue has it: what a checkout prices its line with. */
export type ReservedProduct = {
  readonly id: bigint;
  readonly name: string;
  /** NUMERIC(12,2) as PostgreSQL prints it: "19.99". */
  readonly price: string;
  readonly category: string;
};

/** The reservation's lines and, per line whose product still exists, that product. */
export type ReservedLines = {
  readonly rows: StockReservationRow[];
  readonly products: ReservedProduct[];
};

type ReservedColumns = LineColumns & {
  product_name: string | null;
  product_price: string | null;
  product_category: string | null;
};

/**
 * Calls the database function `reserve_stock` — one statement, one round trip, so the products'
 * row locks are held only while the function runs. Inside it, under an advisory lock on the id:
 * the lines already stored under `id` if any (the caller checks the replay), else every product
 * locked in id order, checked, decremented and the lines inserted, all or none.
 * `lines` must be validated (one per product). Unknown product → NotFound; too little stock →
 * FailedPrecondition. Returns the lines in product order, and with them the products' name, price
 * and category, read by the same statement as of its start (the reservation changes only their
 * stock), so a checkout needs no GetProduct per line.
 */
export async function reserveStock(
  client: ProductSql,
  id: string,
  lines: readonly StockLine[],
  expiresAt: Date,
): Promise<ReservedLines> {
  const productIds = lines.map((line) => String(line.productId));
  const quantities = lines.map((line) => line.quantity);
  try {
    const found = await client<ReservedColumns[]>`
      SELECT r.*, p.name AS product_name, p.price::text AS product_price,
        p.category AS product_category
      FROM reserve_stock(${id}, ${productIds}::bigint[], ${quantities}::int[],
        ${expiresAt.toISOString()}::timestamptz) AS r
      LEFT JOIN products p ON p.id = r.product_id`;
    const rows = found.map(toRow).sort(byProductId);
    const products = found
      .flatMap((row) =>
        row.product_name === null || row.product_price === null
          ? []
          : [
              {
                id: row.product_id,
                name: row.product_name,
                price: row.product_price,
                category: row.product_category ?? "",
              },
            ],
      )
      .sort((a, b) => byProductId({ productId: a.id }, { productId: b.id }));
    return { rows, products };
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
