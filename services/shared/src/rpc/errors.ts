import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { DomainError, type DomainErrorCode } from "../errors.js";
import type { Logger } from "../logger.js";
import { UpstreamError, type UpstreamFailure } from "./upstream-error.js";

/** The one table from domain error codes to Connect codes. */
const CONNECT_CODE: Record<DomainErrorCode, Code> = {
  invalid_argument: Code.InvalidArgument,
  not_found: Code.NotFound,
  already_exists: Code.AlreadyExists,
  failed_precondition: Code.FailedPrecondition,
  permission_denied: Code.PermissionDenied,
  aborted: Code.Aborted,
  resource_exhausted: Code.ResourceExhausted,
  unavailable: Code.Unavailable,
  deadline_exceeded: Code.DeadlineExceeded,
};

/** What a caller is told of a failed call to another service that no handler translated. */
const UPSTREAM_ANSWER: Partial<Record<UpstreamFailure, [message: string, code: Code]>> = {
  unavailable: ["a service this one depends on is unavailable", Code.Unavailable],
  timeout: ["a service this one depends on did not answer in time", Code.DeadlineExceeded],
};
const INTERNAL: [message: string, code: Code] = ["internal error", Code.Internal];

/**
 * Turns anything a handler throws into a ConnectError: domain errors keep their code and message
 * (one with a `cause`, such as a store outage, is logged with it), and so does a ConnectError
 * the service raised itself. A failed call to another service that no handler translated keeps
 * Unavailable or DeadlineExceeded, with our own message; anything else becomes `Internal` with a
 * generic message. The real cause of those is logged.
 */
export function toConnectError(error: unknown, logger: Logger, requestId?: string): ConnectError {
  if (error instanceof DomainError) {
    // A store or service that failed underneath (DependencyUnavailable…): its cause is news.
    if (error.cause !== undefined) logger.warn({ err: error, requestId }, "dependency failed");
    return new ConnectError(error.message, CONNECT_CODE[error.code]);
  }
  // Failures of other services arrive as UpstreamError, so this one was raised here on purpose.
  if (error instanceof ConnectError) return error;
  const upstream = error instanceof UpstreamError ? error.kind : undefined;
  logger.error({ err: error, requestId }, upstream ? "upstream call failed" : "unexpected error");
  const [message, code] = (upstream && UPSTREAM_ANSWER[upstream]) ?? INTERNAL;
  return new ConnectError(message, code);
}

/** The interceptor that applies `toConnectError` to every RPC of a server. */
export function errorInterceptor(logger: Logger): Interceptor {
  return (next) => async (req) => {
    try {
      return await next(req);
    } catch (error) {
      throw toConnectError(error, logger, req.header.get("x-request-id") ?? undefined);
    }
  };
}
