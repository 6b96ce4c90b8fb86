import { Code, ConnectError } from "@connectrpc/connect";

/**
 * Each Connect code with its wire name and the HTTP status the gateway answers with: the
 * Connect protocol's table (SPEC §5), kept here and nowhere else.
 */
const codeTable: Readonly<Record<Code, readonly [name: string, status: number]>> = {
  [Code.Canceled]: ["canceled", 499],
  [Code.Unknown]: ["unknown", 500],
  [Code.InvalidArgument]: ["invalid_argument", 400],
  [Code.DeadlineExceeded]: ["deadline_exceeded", 504],
  [Code.NotFound]: ["not_found", 404],
  [Code.AlreadyExists]: ["already_exists", 409],
  [Code.PermissionDenied]: ["permission_denied", 403],
  [Code.ResourceExhausted]: ["resource_exhausted", 429],
  [Code.FailedPrecondition]: ["failed_precondition", 400],
  [Code.Aborted]: ["aborted", 409],
  [Code.OutOfRange]: ["out_of_range", 400],
  [Code.Unimplemented]: ["unimplemented", 501],
  [Code.Internal]: ["internal", 500],
  [Code.Unavailable]: ["unavailable", 503],
  [Code.DataLoss]: ["data_loss", 500],
  [Code.Unauthenticated]: ["unauthenticated", 401],
};

/** Every code name, in code order; the OpenAPI error schema lists them. */
export const codeNames: readonly string[] = Object.values(codeTable).map(([name]) => name);

/**
 * An error the gateway itself raises where HTTP has a more precise status than the Connect
 * table (405, 413, 415); the body still carries a Connect code.
 */
export class HttpError extends ConnectError {
  constructor(
    readonly status: number,
    code: Code,
    message: string,
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message, code);
  }

  // ConnectError's own hasInstance accepts any ConnectError-shaped value, which would make
  // every upstream error look like an HttpError; this one checks the prototype chain.
  static override [Symbol.hasInstance](value: unknown): boolean {
    return (
      value instanceof Object && Object.prototype.isPrototypeOf.call(HttpError.prototype, value)
    );
  }
}

/** A 400 `invalid_argument` with a message for the client. */
export function invalidArgument(message: string): ConnectError {
  return new ConnectError(message, Code.InvalidArgument);
}

/** The HTTP status for an error: its own for an HttpError, otherwise from the code table. */
export function httpStatusOf(error: ConnectError): number {
  if (error instanceof HttpError) return error.status;
  return codeTable[error.code]?.[1] ?? 500;
}

/**
 * The HTTP status of a call that ended with `code` (0: OK → 200), from the table above: the
 * one vocabulary of the gateway's `code` metric label, for REST and proxied calls alike.
 */
export function httpStatusOfCode(code: Code | 0): number {
  return code === 0 ? 200 : (codeTable[code]?.[1] ?? 500);
}

/** Serialises an error to the Connect error JSON shape, `details` always an array. */
export function errorJson(error: ConnectError): string {
  const name = codeTable[error.code]?.[0] ?? "unknown";
  const details = error.details.flatMap((detail) =>
    "type" in detail
      ? [
          {
            type: detail.type,
            value: Buffer.from(detail.value).toString("base64").replace(/=+$/, ""),
          },
        ]
      : [],
  );
  return JSON.stringify({ code: name, message: error.rawMessage, details });
}

/** Quotes client input for an error message, cut short so a huge value can't bloat the reply. */
export function quote(text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
}
