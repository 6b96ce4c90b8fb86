import { Code, ConnectError } from "@connectrpc/connect";
import { DependencyTimeout, DependencyUnavailable } from "#shared/errors";

/** Headers that carry the caller's request id on to another service. */
export function requestHeaders(requestId: string | undefined) {
  return requestId ? { "x-request-id": requestId } : undefined;
}

/**
 * A failed call to another service as this service reports it: Unavailable and DeadlineExceeded
 * become DependencyUnavailable / DependencyTimeout saying `consequence`; any other ConnectError
 * becomes a plain Error with our message (the edge answers Internal and logs it). Callers deal
 * with the codes that carry meaning for them (NotFound, FailedPrecondition) before this.
 */
export function upstreamFailure(
  error: unknown,
  service: string,
  call: string,
  consequence: string,
): unknown {
  if (!(error instanceof ConnectError)) return error;
  switch (error.code) {
    case Code.Unavailable:
      return new DependencyUnavailable(`${service} service is unavailable; ${consequence}`);
    case Code.DeadlineExceeded:
      return new DependencyTimeout(`${service} service did not answer in time; ${consequence}`);
    default:
      return new Error(`${service} ${call} failed with ${Code[error.code]}: ${error.rawMessage}`, {
        cause: error,
      });
  }
}

/** True when `error` is a ConnectError with `code`. */
export function hasCode(error: unknown, code: Code): error is ConnectError {
  return error instanceof ConnectError && error.code === code;
}
