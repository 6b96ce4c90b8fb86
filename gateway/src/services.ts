import { type ServiceName, services } from "#services";
import type { ServiceBinding } from "./routes.js";

/** The upstreams the gateway talks to: every service in services/registry.ts, by name. */
export type UpstreamName = ServiceName;

/**
 * Which upstream serves which service, from each registry entry's `serves`: the only input of
 * routing besides the annotations. Every REST path comes from these services' `google.api.http`
 * annotations.
 */
export const serviceBindings: readonly (ServiceBinding & { readonly upstream: UpstreamName })[] =
  services.flatMap(({ name, serves }) => serves.map((service) => ({ service, upstream: name })));
