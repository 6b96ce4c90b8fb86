import { Code, ConnectError } from "@connectrpc/connect";
import { dependencyError, UpstreamError } from "#shared/rpc/upstream-error";

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
  if (!upstreamAnswer(error)) return error;
  const failure = UpstreamError.from(error);
  const { code, rawMessage } = failure.cause;
  return (
    dependencyError(failure, service, consequence) ??
    new Error(`${service} ${call} failed with ${Code[code]}: ${rawMessage}`, { cause: error })
  );
}

/**
 * The other service's answer inside `error`: the cause of an UpstreamError (what every transport
 * of `createServiceTransport` throws, as main.ts wires them), or a ConnectError as such (what an
 * in-process router transport throws). Undefined for anything else.
 */
export function upstreamAnswer(error: unknown): ConnectError | undefined {
  if (error instanceof UpstreamError) return error.cause;
  return error instanceof ConnectError ? error : undefined;
}

/** The other service's answer inside `error` when it has `code`; undefined otherwise. */
export function hasCode(error: unknown, code: Code): ConnectError | undefined {
  const answer = upstreamAnswer(error);
  return answer?.code === code ? answer : undefined;
}
