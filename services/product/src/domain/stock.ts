import { FailedPrecondition } from "#shared/errors";

/**
 * Where one reservation line stands. Two paths only: reserved → committed → restocked (sold, then
 * refunded) and reserved → released (never sold). `reserved` and `committed` units are out of
 * `products.stock_quantity`; `released` and `restocked` units are back in it.
 */
export const LINE_STATUSES = ["reserved", "committed", "released", "restocked"] as const;
export type LineStatus = (typeof LINE_STATUSES)[number];

/** A quantity of one product. */
export type StockLine = { readonly productId: bigint; readonly quantity: number };

/** Orders product ids ascending: the order in which every transaction locks products. */
export const byProductId = (a: { productId: bigint }, b: { productId: bigint }): number =>
  a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0;

/** A reservation line with where it stands. */
export type ReservationLine = StockLine & { readonly status: LineStatus };

/** The stock held for one payment (the reservation id is the payment id). */
export type Reservation = {
  readonly reservationId: string;
  /** See `reservationStatus`. */
  readonly status: LineStatus;
  /** Ordered by product id. */
  readonly lines: readonly ReservationLine[];
  readonly expiresAt: Date;
  readonly createdAt: Date;
  readonly updatedAt: Date;
};

/** What a caller asks of a reservation: sell it, give it back unsold, or take sold goods back. */
export type StockMove = "commit" | "release" | "restock";

/** Each move's one legal starting status and its result; `restock` and `release` return stock. */
export const MOVES: Record<StockMove, { from: LineStatus; to: LineStatus; returnsStock: boolean }> =
  {
    commit: { from: "reserved", to: "committed", returnsStock: false },
    release: { from: "reserved", to: "released", returnsStock: true },
    restock: { from: "committed", to: "restocked", returnsStock: true },
  };

/**
 * What `move` does to a line in `status`: "apply" from its starting status; "done" when the line
 * already stands at the move's result or past it on the same path (a committed line that was
 * restocked has been sold: committing it again changes nothing); "refuse" otherwise.
 */
export function planMove(move: StockMove, status: LineStatus): "apply" | "done" | "refuse" {
  const { from, to } = MOVES[move];
  if (status === from) return "apply";
  if (status === to || (move === "commit" && status === "restocked")) return "done";
  return "refuse";
}

/** The refusal of `move` for a line in `status`, naming both states. */
export function illegalMove(what: string, status: LineStatus, move: StockMove): FailedPrecondition {
  return new FailedPrecondition(`${what} is ${status} and cannot become ${MOVES[move].to}`);
}

/**
 * One status for a whole reservation. Lines move one by one when stock events arrive (they are
 * keyed by product, so they travel on different partitions), so for a moment they can differ:
 * while any line is still `reserved` the reservation is `reserved` (unfinished); otherwise a
 * `committed` line makes it `committed`; otherwise all lines share one status.
 */
export function reservationStatus(lines: readonly { status: LineStatus }[]): LineStatus {
  const statuses = new Set(lines.map((line) => line.status));
  if (statuses.has("reserved")) return "reserved";
  if (statuses.has("committed")) return "committed";
  return statuses.has("released") ? "released" : "restocked";
}

/**
 * Whether `lines` asks for exactly what `reservation` holds (same products, same quantities), so
 * a repeated ReserveStock is a replay and not a different request under a reused id.
 */
export function holdsSameLines(reservation: Reservation, lines: readonly StockLine[]): boolean {
  if (reservation.lines.length !== lines.length) return false;
  return lines.every((line) =>
    reservation.lines.some(
      (held) => held.productId === line.productId && held.quantity === line.quantity,
    ),
  );
}
