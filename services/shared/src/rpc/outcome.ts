import { Code, ConnectError } from "@connectrpc/connect";

/**
 * What one call to one instance says about that instance and its service:
 * - "ok": it answered;
 * - "refused": it answered with an error about the request (NotFound, InvalidArgument…, also
 *   Unimplemented): healthy;
 * - "unsent": the request never reached a handler (connection refused, the stream was never
 *   opened, or refused by the server's GOAWAY / REFUSED_STREAM): safe to send again anywhere;
 * - "connection": the connection failed under a call that may have run (reset, closed);
 * - "unavailable": the instance answered Unavailable (e.g. its database is down);
 * - "timeout": no answer within the deadline;
 * - "failed": Internal, Unknown, DataLoss — a server error;
 * - "canceled": the caller gave up; says nothing about the instance.
 */
export type Outcome =
  | "ok"
  | "refused"
  | "unsent"
  | "connection"
  | "unavailable"
  | "timeout"
  | "failed"
  | "canceled";

/** How the transport saw a failure happen, when it knows better than the error's code. */
type TransportFailure = "unsent" | "connection";
const marks = new WeakMap<object, TransportFailure>();

/**
 * Records that `error` (a client's ConnectError) failed before the request was sent
 * ("unsent") or when the connection broke under it ("connection"); returns `error`.
 */
export function markTransportFailure<E extends object>(error: E, how: TransportFailure): E {
  marks.set(error, how);
  return error;
}

const SERVER_ERRORS: ReadonlySet<Code> = new Set([Code.Internal, Code.Unknown, Code.DataLoss]);

/** Node's connection errors that happen before a request can be written: nothing was sent. */
const NOT_CONNECTED = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH"]);

/** The outcome of a call that threw `error` (any throwable; ConnectErrors are read by code). */
export function outcomeOf(error: unknown): Outcome {
  const marked = typeof error === "object" && error !== null ? marks.get(error) : undefined;
  if (marked) return marked;
  const failure = ConnectError.from(error);
  // connect-node says Internal or Unavailable for a stream the server refused unprocessed.
  if (/REFUSED_STREAM/.test(failure.rawMessage)) return "unsent";
  switch (failure.code) {
    case Code.Unavailable:
      return unavailableOutcome(failure);
    case Code.DeadlineExceeded:
      return "timeout";
    case Code.Canceled:
      return "canceled";
    default:
      return SERVER_ERRORS.has(failure.code) ? "failed" : "refused";
  }
}

/**
 * For errors of connect-node's transport (the fast path marks its own): a refused connection
 * or a stream refused by the server was never processed; another node error on the way means
 * the connection broke; otherwise the server itself answered Unavailable.
 */
function unavailableOutcome(error: ConnectError): Outcome {
  let cause: unknown = error.cause;
  for (let depth = 0; cause instanceof Error && depth < 8; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === "string") return NOT_CONNECTED.has(code) ? "unsent" : "connection";
    cause = cause.cause;
  }
  return "unavailable";
}

/** True for outcomes that count against an instance's or a service's health. */
export function isFailure(outcome: Outcome): boolean {
  return outcome !== "ok" && outcome !== "refused" && outcome !== "canceled";
}
