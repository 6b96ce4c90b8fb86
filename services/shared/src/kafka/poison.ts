/**
 * An error a consumer's handler throws for a message that no retry can ever process (a payload it
 * cannot read, a field out of range): `runConsumer` sends the message to `<topic>.dlq` at once,
 * with `dlq_reason: rejected`, instead of retrying it. Subclass it per kind of message, e.g.
 * `class MalformedStockEvent extends PoisonMessageError`. Any other error counts as passing
 * (a database down) and is retried.
 */
export class PoisonMessageError extends Error {
  override name = "PoisonMessageError";
  /** The mark `isRetryable` reads; an error of another library may carry it too. */
  readonly retryable = false;
}

/** False for an error marked `retryable: false` (every PoisonMessageError); true otherwise. */
export function isRetryable(error: unknown): boolean {
  return !(
    typeof error === "object" &&
    error !== null &&
    "retryable" in error &&
    error.retryable === false
  );
}
