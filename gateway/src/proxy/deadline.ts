import { parseTimeout as parseConnectTimeout } from "@connectrpc/connect/protocol-connect";
import { parseTimeout as parseGrpcTimeout } from "@connectrpc/connect/protocol-grpc";
import type { RpcWireForm } from "#shared/rpc/wire-errors";
import type { NodeRequest } from "#shared/server/one-port";

/** A proxied call's deadline, and the timeout header that tells the upstream of it. */
export interface Deadline {
  /** Milliseconds from now; undefined: none. */
  readonly timeoutMs: number | undefined;
  /** The request header carrying it upstream, rewritten to the effective value. */
  readonly header?: readonly [name: string, value: string];
}

/**
 * The deadline of one proxied call: the client's (`grpc-timeout` for gRPC and gRPC-Web,
 * `connect-timeout-ms` for Connect), capped at `unaryCapMs` for unary calls. A server stream
 * keeps the client's deadline alone — streams such as Watch are meant to stay open. A timeout
 * header that does not parse is left as it is, for the upstream to refuse in its own words.
 */
export function deadlineOf(
  req: NodeRequest,
  form: RpcWireForm,
  streaming: boolean,
  unaryCapMs: number,
): Deadline {
  const grpcFamily = form.protocol === "grpc" || form.protocol === "grpc-web";
  const name = grpcFamily ? "grpc-timeout" : "connect-timeout-ms";
  const raw = req.headers[name];
  const value = Array.isArray(raw) ? raw[0] : raw;
  const parsed = grpcFamily
    ? parseGrpcTimeout(value ?? null, Number.MAX_SAFE_INTEGER)
    : parseConnectTimeout(value ?? null, Number.MAX_SAFE_INTEGER);
  if (parsed.error) return { timeoutMs: streaming ? undefined : unaryCapMs };
  const client = parsed.timeoutMs === undefined ? undefined : Math.ceil(parsed.timeoutMs);
  const timeoutMs = streaming ? client : Math.min(client ?? unaryCapMs, unaryCapMs);
  if (timeoutMs === undefined) return { timeoutMs };
  // gRPC allows at most 8 digits: past ~27 hours of milliseconds, whole seconds.
  const grpcValue = timeoutMs <= 99_999_999 ? `${timeoutMs}m` : `${Math.ceil(timeoutMs / 1000)}S`;
  return { timeoutMs, header: [name, grpcFamily ? grpcValue : String(timeoutMs)] };
}
