import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { DomainError, type DomainErrorCode } from "../errors.js";
import type { Logger } from "../logger.js";

/** The one table from domain error codes to Connect codes. */
const CONNECT_CODE: Record<DomainErrorCode, Code> = {
  invalid_argument: Code.InvalidArgument,
  not_found: Code.NotFound,
  already_exists: Code.AlreadyExists,
  failed_precondition: Code.FailedPrecondition,
  aborted: Code.Aborted,
  resource_exhausted: Code.ResourceExhausted,
  unavailable: Code.Unavailable,
  deadline_exceeded: Code.DeadlineExceeded,
};

/**
 * Turns anything a handler throws into a ConnectError: domain errors keep their code and message;
 * anything unknown becomes `Internal` with a generic message, and the real cause is logged.
 */
export function toConnectError(error: unknown, logger: Logger, requestId?: string): ConnectError {
  if (error instanceof ConnectError) return error;
  if (error instanceof DomainError)
    return new ConnectError(error.message, CONNECT_CODE[error.code]);
  logger.error({ err: error, requestId }, "unexpected error");
  return new ConnectError("internal error", Code.Internal);
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
