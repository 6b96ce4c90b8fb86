import type { IncomingMessage } from "node:http";
import type { DescMethod } from "@bufbuild/protobuf";
import type { Admission } from "./admission.js";
import { clientIp } from "./client-ip.js";
import { admissionError, type RateLimiter } from "./rate-limit.js";
import { type RouteClass, routeClassOf } from "./route-class.js";

/**
 * The rate limiter as the gateway's admission step: REST routes and proxied gRPC, gRPC-Web and
 * Connect calls count alike, by the class of the RPC they call (a proxied call has no REST verb:
 * its RPC's own stands in). Builtins (/health, /metrics, /openapi.json) and unknown procedures
 * are not counted. Over the limit it throws 429 with `Retry-After` (ResourceExhausted in an RPC
 * protocol's own form); otherwise it hands back the `RateLimit-*` headers.
 */
export function rateLimitAdmission(
  limiter: RateLimiter,
  trustedProxies: ReadonlySet<string>,
): Admission {
  const classes = new Map<DescMethod, Map<string | undefined, RouteClass>>();
  const classOf = (rpc: DescMethod, verb: string | undefined): RouteClass => {
    let byVerb = classes.get(rpc);
    if (!byVerb) {
      byVerb = new Map();
      classes.set(rpc, byVerb);
    }
    let found = byVerb.get(verb);
    if (!found) {
      found = routeClassOf(rpc, verb);
      byVerb.set(verb, found);
    }
    return found;
  };
  return async (request) => {
    if (request.kind === "builtin" || !request.rpc) return undefined;
    const ip = clientIp(request.req as IncomingMessage, trustedProxies);
    const admission = await limiter.admit(
      { subject: request.subject, ip },
      classOf(request.rpc, request.httpMethod),
    );
    const refused = admissionError(admission);
    if (refused) throw refused;
    return admission.kind === "allowed" ? admission.headers : undefined;
  };
}
