import { Code, ConnectError } from "@connectrpc/connect";

/** What a shopper can be told when the browser could not get an answer at all. */
export const UNREACHABLE =
  "The shop could not be reached from this page (offline, or this origin is not allowed).";

/**
 * A sentence for a failed call: the server's own message (it names the field or the rule), with
 * plain words for the codes a shopper can do something about.
 */
export function describeError(error: unknown): string {
  const failure = ConnectError.from(error);
  // fetch itself failed: no network, or the browser's CORS check refused the answer.
  if (failure.cause instanceof TypeError) return UNREACHABLE;
  switch (failure.code) {
    case Code.Unauthenticated:
      return "Your sign-in has expired or is not valid. Please sign in again.";
    case Code.PermissionDenied:
      return `Not allowed: ${failure.rawMessage}`;
    case Code.Unavailable:
      return `The shop is not reachable right now (${failure.rawMessage}). Please try again.`;
    case Code.ResourceExhausted:
      return "Too many requests. Please wait a moment and try again.";
    case Code.Canceled:
      return "The request was cancelled.";
    default:
      return failure.rawMessage || `The request failed (${Code[failure.code]}).`;
  }
}

/** True for a call cancelled on purpose (a newer one replaced it, or the user signed out). */
export function isAbort(error: unknown): boolean {
  return ConnectError.from(error).code === Code.Canceled;
}
