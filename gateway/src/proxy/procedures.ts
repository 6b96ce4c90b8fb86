import type { DescMethod } from "@bufbuild/protobuf";
import type { ServiceBinding } from "../routes.js";

/** A procedure the gateway forwards: its method and the upstream that serves it. */
export interface Procedure {
  /** `/shop.product.v1.ProductService/GetProduct`, also the metric and log label. */
  readonly path: string;
  readonly method: DescMethod;
  readonly upstream: string;
}

/** Every procedure path the gateway proxies, and the service names it knows. */
export interface ProcedureTable {
  readonly byPath: ReadonlyMap<string, Procedure>;
  /** The proxied services' full names (for "unknown method M for service S"). */
  readonly services: ReadonlySet<string>;
}

/**
 * The procedures of `bindings` (every service in the registry's `serves` lists): unary and
 * server-streaming methods only. Client and bidirectional streaming methods are left out — none
 * is served today, and a call that never ends its request body cannot be held to a size limit —
 * so they answer Unimplemented like any unknown method.
 */
export function procedureTable(bindings: readonly ServiceBinding[]): ProcedureTable {
  const byPath = new Map<string, Procedure>();
  for (const { service, upstream } of bindings) {
    for (const method of service.methods) {
      if (method.methodKind !== "unary" && method.methodKind !== "server_streaming") continue;
      const path = `/${service.typeName}/${method.name}`;
      byPath.set(path, { path, method, upstream });
    }
  }
  return { byPath, services: new Set(bindings.map(({ service }) => service.typeName)) };
}
