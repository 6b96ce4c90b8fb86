/**
 * Domain errors: small classes with a literal `code` that the edge maps to a Connect code in one
 * place (`errorInterceptor` in `rpc/errors.ts`). Domain code throws these and never imports
 * Connect.
 */
export abstract class DomainError extends Error {
  abstract readonly code: DomainErrorCode;
  override get name(): string {
    return this.constructor.name;
  }
}

export type DomainErrorCode =
  | "invalid_argument"
  | "not_found"
  | "already_exists"
  | "failed_precondition"
  | "permission_denied"
  | "aborted"
  | "resource_exhausted"
  | "unavailable"
  | "deadline_exceeded";

/** Malformed input: a field that is missing, too long, out of range or badly formatted. */
export class InvalidArgument extends DomainError {
  readonly code = "invalid_argument";
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

/** The thing named does not exist. */
export class NotFound extends DomainError {
  readonly code = "not_found";
  constructor(
    readonly kind: string,
    readonly id: string | number | bigint,
  ) {
    super(`${kind} ${id} not found`);
  }
}

/** A business rule refuses the request as the system stands (e.g. not enough stock). */
export class FailedPrecondition extends DomainError {
  readonly code = "failed_precondition";
}

/** The caller may not touch this record (another user's payment, say). */
export class PermissionDenied extends DomainError {
  readonly code = "permission_denied";
}

/** A service this one depends on cannot be reached; the request changed nothing. */
export class DependencyUnavailable extends DomainError {
  readonly code = "unavailable";
}

/** A service this one depends on did not answer in time; the request changed nothing. */
export class DependencyTimeout extends DomainError {
  readonly code = "deadline_exceeded";
}
