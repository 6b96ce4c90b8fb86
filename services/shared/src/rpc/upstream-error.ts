import { Code, ConnectError } from "@connectrpc/connect";
import { DependencyTimeout, DependencyUnavailable } from "../errors.js";

/**
 * How a call to another service failed, sorted by what may be told to this service's callers:
 * - "unavailable": the service could not be reached, or answered Unavailable;
 * - "timeout": no answer within the deadline (DeadlineExceeded);
 * - "refused": the service answered with an error it chose (NotFound, InvalidArgument,
 *   FailedPrecondition…); its code, message and details are in `cause`;
 * - "failed": anything else (Internal, Unknown, Canceled, a broken protocol): nothing to repeat.
 */
export type UpstreamFailure = "unavailable" | "timeout" | "refused" | "failed";

/** The codes a service answers on purpose, each about the request rather than the service. */
const REFUSALS: ReadonlySet<Code> = new Set([
  Code.InvalidArgument,
  Code.NotFound,
  Code.AlreadyExists,
  Code.PermissionDenied,
  Code.ResourceExhausted,
  Code.FailedPrecondition,
  Code.Aborted,
  Code.OutOfRange,
  Code.Unauthenticated,
]);

/**
 * A failed call to another service, as `createServiceTransport` reports every failure. It is
 * not a ConnectError on purpose: a server's error interceptor forwards ConnectErrors (raised by
 * the service itself), so an upstream's words reach a caller only when code chooses them.
 */
export class UpstreamError extends Error {
  override readonly name = "UpstreamError";
  readonly kind: UpstreamFailure;
  /** The client's error: for the log, and for a caller that passes refusals on. */
  override readonly cause: ConnectError;

  private constructor(cause: ConnectError) {
    const kind = failureOf(cause.code);
    super(`upstream ${kind}: ${cause.message}`, { cause });
    this.kind = kind;
    this.cause = cause;
  }

  /** `error` as an UpstreamError; one already is one stays as it is. */
  static from(error: unknown): UpstreamError {
    return error instanceof UpstreamError ? error : new UpstreamError(ConnectError.from(error));
  }
}

/**
 * An unreachable or silent service in this service's own words — "<service> service is
 * unavailable; <consequence>" (Unavailable) or "… did not answer in time; <consequence>"
 * (DeadlineExceeded), the failure kept as cause — or undefined for any other failure, which the
 * caller translates itself.
 */
export function dependencyError(
  failure: UpstreamError,
  service: string,
  consequence: string,
): DependencyUnavailable | DependencyTimeout | undefined {
  const cause = { cause: failure };
  if (failure.kind === "unavailable") {
    return new DependencyUnavailable(`${service} service is unavailable; ${consequence}`, cause);
  }
  if (failure.kind === "timeout") {
    return new DependencyTimeout(
      `${service} service did not answer in time; ${consequence}`,
      cause,
    );
  }
  return undefined;
}

function failureOf(code: Code): UpstreamFailure {
  if (code === Code.Unavailable) return "unavailable";
  if (code === Code.DeadlineExceeded) return "timeout";
  return REFUSALS.has(code) ? "refused" : "failed";
}
