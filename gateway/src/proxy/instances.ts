import type http2 from "node:http2";
import { createHttp2Connection, type Http2Connection } from "#shared/fast-grpc/http2-connection";
import type { GrpcUpstream } from "../upstream.js";

/**
 * The seam between the proxy and instance balancing: which instance of an upstream takes the
 * next call, and how that call went. The balancer in upstream.ts (ejection, breakers) plugs in
 * here; until then {@link firstInstance} sends every call to the first configured URL.
 */
export interface InstancePicker {
  /** An instance of `upstream` for one call, or undefined when none may be tried (all ejected). */
  pick(upstream: string): PickedInstance | undefined;
}

/** One call's instance. Exactly one `report` follows each pick. */
export interface PickedInstance {
  /** `http://host:port`. */
  readonly baseUrl: string;
  /**
   * "failure": the connection failed, the stream was reset, or the upstream answered
   * Unavailable or HTTP 5xx; "success": anything else, including the service's own refusals.
   */
  report(outcome: "success" | "failure"): void;
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
 * Picks through each upstream's balancer (upstream.ts), so proxied calls and REST calls share
 * one view of which instances are ejected. The proxy knows only success or failure: a failure
 * counts as Unavailable, which ejects an instance after a few in a row.
 */
export function balancedInstances(
  upstreams: Readonly<Record<string, Pick<GrpcUpstream, "balancer">>>,
): InstancePicker {
  return {
    pick(name) {
      const balancer = upstreams[name]?.balancer;
      const instance = balancer?.pick();
      if (!balancer || !instance) return undefined;
      return {
        baseUrl: instance.url,
        report: (outcome) =>
          balancer.report(instance, outcome === "success" ? "ok" : "unavailable"),
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
