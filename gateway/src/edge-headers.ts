import { cors } from "@connectrpc/connect";
import type { NodeRequest, NodeResponse } from "#shared/server/one-port";

/** Which browser origins may call the gateway: a list of exact origins, or "*" for any. */
export type AllowedOrigins = "*" | ReadonlySet<string>;

/** What the edge made of a request before it is dispatched. */
export type EdgeVerdict =
  /** A CORS preflight from an allowed origin: answer 204, the headers are set. */
  | "preflight"
  /** A CORS preflight from any other origin: refuse it, without CORS headers. */
  | "preflight-refused"
  /** Anything else: dispatch it (CORS headers are set when its origin is allowed). */
  | "dispatch";

/** Headers scripts may send: Connect's, gRPC-Web's, and the ones our API reads. */
const allowHeaders = [
  ...cors.allowedHeaders,
  "Authorization",
  "Idempotency-Key",
  "X-Request-Id",
].join(", ");
/** Every method some route or protocol uses (Connect: POST and GET). */
const allowMethods = [
  ...new Set([...cors.allowedMethods, "GET", "POST", "PUT", "PATCH", "DELETE"]),
].join(", ");
/**
 * Headers scripts may read: what connect-web and grpc-web need (grpc-status, grpc-message,
 * grpc-status-details-bin, the Connect encodings), plus our own and the rate limiter's.
 */
const exposeHeaders = [
  ...cors.exposedHeaders,
  "Connect-Accept-Encoding",
  "Grpc-Encoding",
  "Grpc-Accept-Encoding",
  "X-Request-Id",
  "RateLimit-Limit",
  "RateLimit-Remaining",
  "RateLimit-Reset",
  "RateLimit-Policy",
  "Retry-After",
  "WWW-Authenticate",
].join(", ");
/** How long a browser may reuse a preflight answer (Chromium caps it at 2 hours). */
const PREFLIGHT_MAX_AGE_S = "7200";

/**
 * Headers every gateway answer carries: an API answer is never to be sniffed as another type,
 * framed, or sent as a referrer; and it is not stored by caches unless a handler says otherwise
 * (/openapi.json does). HSTS belongs to whatever terminates TLS in front of the gateway.
 */
export const securityHeaders: Readonly<Record<string, string>> = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};
// Listed once: every request sets them.
const securityEntries = Object.entries(securityHeaders);

/**
 * Sets the security headers and, for a request from an allowed origin, the CORS headers on
 * `res` (before anything is written, so every answer — REST, proxied or an error — has them),
 * and says whether the request is a CORS preflight. An origin not on the list gets no CORS
 * headers at all; with an empty list only same-origin pages (which need none) can call.
 */
export function applyEdgeHeaders(
  req: NodeRequest,
  res: NodeResponse,
  origins: AllowedOrigins,
): EdgeVerdict {
  for (const [name, value] of securityEntries) res.setHeader(name, value);
  // The answer depends on Origin; shared caches must not hand one origin's answer to another.
  res.setHeader("vary", "Origin");
  const origin = req.headers.origin;
  const preflight = req.method === "OPTIONS" && req.headers["access-control-request-method"];
  const allowed = origin !== undefined && (origins === "*" || origins.has(origin.toLowerCase()));
  if (!allowed) return preflight && origin !== undefined ? "preflight-refused" : "dispatch";
  res.setHeader("access-control-allow-origin", origins === "*" ? "*" : origin);
  if (!preflight) {
    res.setHeader("access-control-expose-headers", exposeHeaders);
    return "dispatch";
  }
  res.setHeader("access-control-allow-methods", allowMethods);
  res.setHeader("access-control-allow-headers", allowHeaders);
  res.setHeader("access-control-max-age", PREFLIGHT_MAX_AGE_S);
  res.setHeader("vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
  return "preflight";
}
