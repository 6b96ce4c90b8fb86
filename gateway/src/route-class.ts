import { type DescMethod, getOption } from "@bufbuild/protobuf";
import { http } from "#gen/google/api/annotations_pb";
import { type Access, Audience, access } from "#gen/shop/auth/v1/auth_pb";
import { PaymentService } from "#gen/shop/payment/v1/payment_pb";

/**
 * The rate-limit classes, each with limits of its own:
 * - `catalogue`: RPCs anyone may call (audience PUBLIC) — the cheap, cacheable reads;
 * - `read`: the other reads (a user's basket, payments, notifications);
 * - `write`: every other change;
 * - `checkout`: changes of the payment service, which take money and hold stock.
 */
export const routeClasses = ["catalogue", "read", "write", "checkout"] as const;

export type RouteClass = (typeof routeClasses)[number];

/** The `(shop.auth.v1.access)` rule of an RPC; AUDIENCE_UNSPECIFIED when it declares none. */
export function accessOf(rpc: DescMethod): Access {
  return getOption(rpc, access);
}

/**
 * The class of a call to `rpc`. `httpMethod` is the REST verb it came by; a Connect, gRPC-Web or
 * gRPC call has none, so the verb of the RPC's own `google.api.http` rule stands in (none → a
 * change). Derived from the access rule and the verb only, so a new RPC needs no list entry.
 */
export function routeClassOf(rpc: DescMethod, httpMethod = primaryVerb(rpc)): RouteClass {
  const reads = httpMethod === "GET" || httpMethod === "HEAD";
  if (reads) return accessOf(rpc).audience === Audience.PUBLIC ? "catalogue" : "read";
  return rpc.parent.typeName === PaymentService.typeName ? "checkout" : "write";
}

function primaryVerb(rpc: DescMethod): string {
  const { pattern } = getOption(rpc, http);
  if (pattern.case === undefined) return "POST";
  return pattern.case === "custom" ? pattern.value.kind.toUpperCase() : pattern.case.toUpperCase();
}
