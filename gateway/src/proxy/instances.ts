import type http2 from "node:http2";
import type { Transport } from "@connectrpc/connect";
import { createHttp2Connection, type Http2Connection } from "#shared/fast-grpc/http2-connection";
import type { Instance } from "#shared/rpc/balancer";
import type { Outcome } from "#shared/rpc/outcome";
import type { GrpcUpstream } from "../upstream.js";

/**
 * The seam between the proxy and instance balancing: which instance of an upstream takes the
 * next call, and how that call went. The balancer and breaker of upstream.ts plug in here
 * ({@link balancedInstances}); {@link firstInstance} sends every call to the first URL.
 */
export interface InstancePicker {
  /**
   * An instance of `upstream` for one call, or undefined when there is no such upstream. Throws
   * the fail-fast Unavailable ConnectError when the upstream's circuit breaker is open.
   */
  pick(upstream: string): PickedInstance | undefined;
}

/** One call's instance. Exactly one `report` follows each pick. */
export interface PickedInstance {
  /** `http://host:port`. */
  readonly baseUrl: string;
  /**
   * How the call went, read from the answer in its protocol's form: "ok", "refused" (the
   * service's own errors: NotFound…), "unavailable", "timeout", "failed" (Internal…),
   * "connection"/"unsent" (the stream broke or never opened), "canceled" (the client left).
   */
  report(outcome: Outcome): void;
}

/** Every call to the first URL of each upstream; reports are ignored. */
export function firstInstance(urls: Readonly<Record<string, readonly string[]>>): InstancePicker {
  return {
    pick(upstream) {
      const baseUrl = urls[upstream]?.[0];
      return baseUrl === undefined ? undefined : { baseUrl, report: () => {} };
    },
  };
}

/**
 * Picks through each upstream's balancer and breaker (upstream.ts), so proxied calls and REST
 * calls share one view of which instances are ejected and whether the service is failing: a
 * proxied call is counted by the same breaker, and refused by it when open.
 */
export function balancedInstances(
  upstreams: Readonly<Record<string, Pick<GrpcUpstream, "balancer" | "breaker">>>,
): InstancePicker {
  return {
    pick(name) {
      const upstream = upstreams[name];
      if (!upstream) return undefined;
      const end = upstream.breaker.enter();
      const instance = upstream.balancer.pick() as Instance<Transport>;
      return {
        baseUrl: instance.url,
        report(outcome) {
          upstream.balancer.report(instance, outcome);
          end(outcome);
        },
      };
    },
  };
}

/** One persistent HTTP/2 connection per instance base URL, opened on first use. */
export interface ProxyConnections {
  request(baseUrl: string, headers: http2.OutgoingHttpHeaders): http2.ClientHttp2Stream;
  close(): void;
}

/** A dead session that does not answer a PING within this long is dropped. */
const PING_TIMEOUT_MS = 2000;

export function createProxyConnections(): ProxyConnections {
  const connections = new Map<string, Http2Connection>();
  return {
    request(baseUrl, headers) {
      let connection = connections.get(baseUrl);
      if (!connection) {
        connection = createHttp2Connection(baseUrl, PING_TIMEOUT_MS);
        connections.set(baseUrl, connection);
      }
      return connection.request(headers);
    },
    close() {
      for (const connection of connections.values()) connection.close();
      connections.clear();
    },
  };
}
