import type { DescMethod } from "@bufbuild/protobuf";
import type { NodeRequest } from "#shared/server/one-port";

/** What the gateway knows of a request when it decides whether to serve it. */
export interface AdmissionRequest {
  /** "rest": an annotated REST route; "rpc": a gRPC, gRPC-Web or Connect call to proxy. */
  readonly kind: "rest" | "rpc" | "builtin";
  /** `GET /products/{id}`, `/shop.product.v1.ProductService/GetProduct`, `GET /health`. */
  readonly label: string;
  /** The RPC the request calls (REST: the route's); undefined for builtins and unknown RPCs. */
  readonly rpc?: DescMethod | undefined;
  /** The REST verb; undefined for a proxied call (its RPC's own verb stands in). */
  readonly httpMethod?: string | undefined;
  /** For REST: the path variables by name (`user_id`); empty otherwise. */
  readonly pathParams: Readonly<Record<string, string>>;
  /** The request: its headers (`authorization`) and socket (the client address). */
  readonly req: NodeRequest;
  /** The verified token subject, once authentication has set it on the exchange. */
  readonly subject?: string | undefined;
  readonly requestId: string;
}

/**
 * Decides, once per request and before it is dispatched to a REST route or the proxy, whether it
 * may go on. Resolves headers to add to the answer (`RateLimit-*`), or rejects with a
 * ConnectError — an `HttpError` may carry headers such as `Retry-After` or `WWW-Authenticate` —
 * which the client hears in its own protocol's form. Authentication and rate limiting plug in
 * here, so proxied calls and REST calls pass the same checks.
 */
export type Admission = (
  request: AdmissionRequest,
) => Promise<Readonly<Record<string, string>> | undefined>;

/** Admits everything (until authentication and limits are wired in). */
export const admitAll: Admission = async () => undefined;

/** A REST route's path variables by field path, percent-decoded where that is possible. */
export function pathParamsOf(
  variables: readonly { fieldPath: string; start: number; end: number | undefined }[],
  segments: readonly string[],
): Record<string, string> {
  const params: Record<string, string> = {};
  for (const { fieldPath, start, end } of variables) {
    const raw = segments.slice(start, end).join("/");
    try {
      params[fieldPath] = decodeURIComponent(raw);
    } catch {
      params[fieldPath] = raw;
    }
  }
  return params;
}
