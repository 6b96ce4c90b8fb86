import { InvalidArgument } from "#shared/errors";
import { type Cents, parseMoney } from "#shared/money";
import { isUuid } from "./payment-id.js";

// C0 and C1 control characters, DEL included.
const CONTROL = /\p{Cc}/u;

/** A user id: 1–128 characters, not only spaces, no control characters (as the basket's). */
export function parseUserId(value: string, field = "user_id"): string {
  text(field, value, 128, true);
  if (value.trim() === "") throw new InvalidArgument(field, "must not be only whitespace");
  return value;
}

/** A payment id as `newUuidV7` makes them; anything else cannot name a payment. */
export function parsePaymentId(value: string): string {
  if (!isUuid(value)) throw new InvalidArgument("id", "must be a payment id (a lower-case UUID)");
  return value;
}

/** A refund's amount (a decimal > 0, at most 2 decimals; absent = all that is left) and reason. */
export function parseRefundInput(input: { amount?: string | undefined; reason: string }): {
  amount: Cents | undefined;
  reason: string;
} {
  const reason = text("reason", input.reason, 500, false);
  if (input.amount === undefined) return { amount: undefined, reason };
  const amount = parseMoney(input.amount);
  if (amount === undefined || amount === 0n) {
    throw new InvalidArgument("amount", "must be a decimal greater than 0 with at most 2 decimals");
  }
  return { amount, reason };
}

/** Free text within a column's limit: code points counted, no control characters. */
export function text(field: string, value: string, max: number, required: boolean): string {
  if (required && value === "") throw new InvalidArgument(field, "is required");
  if ([...value].length > max)
    throw new InvalidArgument(field, `must be at most ${max} characters`);
  if (CONTROL.test(value)) throw new InvalidArgument(field, "must not contain control characters");
  if (!value.isWellFormed()) throw new InvalidArgument(field, "must be well-formed Unicode");
  return value;
}
