/**
 * Exact money: an amount is a count of minor units (cents) held in a `bigint`, so no price or
 * total ever passes through binary floating point. On the wire and in SQL it is a decimal string
 * with at most two decimals ("19.99").
 */
export type Cents = bigint & { readonly __money: unique symbol };

/** The largest amount a NUMERIC(12,2) / DECIMAL(12,2) column holds: 9 999 999 999.99. */
export const MAX_CENTS = 999_999_999_999n as Cents;

// At most 10 integer digits, so every parsed amount fits MAX_CENTS.
const DECIMAL = /^(\d{1,10})(?:\.(\d{1,2}))?$/;

/** Parses "19.99", "5", "0.5" into cents; `undefined` for anything else (signs, 3 decimals, "1e3"). */
export function parseMoney(text: string): Cents | undefined {
  const match = DECIMAL.exec(text.trim());
  if (!match) return undefined;
  const [, units = "0", fraction = ""] = match;
  return (BigInt(units) * 100n + BigInt(fraction.padEnd(2, "0"))) as Cents;
}

/** Formats cents as a decimal string with exactly two decimals: 1999n → "19.99". */
export function formatMoney(amount: Cents): string {
  const sign = amount < 0n ? "-" : "";
  const abs = amount < 0n ? -amount : amount;
  return `${sign}${abs / 100n}.${(abs % 100n).toString().padStart(2, "0")}`;
}

/** `unit × quantity`, exactly. */
export function multiplyMoney(unit: Cents, quantity: number | bigint): Cents {
  return (unit * BigInt(quantity)) as Cents;
}

/** The exact sum of amounts; 0 for none. */
export function sumMoney(amounts: Iterable<Cents>): Cents {
  let total = 0n;
  for (const amount of amounts) total += amount;
  return total as Cents;
}
