import { BasketService } from "#gen/shop/basket/v1/basket_pb";
import { ProductService } from "#gen/shop/product/v1/product_pb";
import type { ServiceBinding } from "./routes.js";

/** The upstreams the gateway talks to, by the name their configuration uses. */
export type UpstreamName = "product" | "basket";

/**
 * Which upstream serves which service: the only hand-written part of routing. Every REST path
 * comes from these services' `google.api.http` annotations.
 */
export const serviceBindings: readonly (ServiceBinding & { readonly upstream: UpstreamName })[] = [
  { service: ProductService, upstream: "product" },
  { service: BasketService, upstream: "basket" },
];
