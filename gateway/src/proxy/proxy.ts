import { Code, ConnectError } from "@connectrpc/connect";
import {
  procedureOf,
  type RpcWireForm,
  rpcWireFormOf,
  unknownProcedure,
  writeWireError,
} from "#shared/rpc/wire-errors";
import type { NodeRequest, NodeResponse } from "#shared/server/one-port";
import type { ServiceBinding } from "../routes.js";
import { deadlineOf } from "./deadline.js";
import { forward } from "./forward.js";
import { createProxyConnections, type InstancePicker } from "./instances.js";
import { type Procedure, procedureTable } from "./procedures.js";

/** What a request to the gateway is, as far as the proxy is concerned. */
export type ProxyTarget =
  /** A proxied procedure, in the protocol `form`. */
  | { readonly kind: "procedure"; readonly procedure: Procedure; readonly form: RpcWireForm }
  /** An RPC request to a procedure path nobody proxies: answered Unimplemented. */
  | { readonly kind: "unknown"; readonly error: ConnectError; readonly form: RpcWireForm };

export interface ProxyOptions {
  /** The services to proxy, with their upstreams: the registry's `serves` lists. */
  readonly bindings: readonly ServiceBinding[];
  readonly instances: InstancePicker;
  /** Largest request body of a proxied call. */
  readonly maxBodyBytes: number;
  /** The deadline cap of a unary call (a client may ask for less). */
  readonly unaryTimeoutMs: number;
}

/** One call to proxy: the request, its target, and what the gateway adds. */
export interface ProxyCall {
  readonly req: NodeRequest;
  readonly res: NodeResponse;
  readonly procedure: Procedure;
  readonly form: RpcWireForm;
  readonly requestId: string;
  readonly onEnd: (outcome: { code: string; error?: ConnectError }) => void;
}

export interface RpcProxy {
  /**
   * The target of a request: a proxied procedure, an RPC request (by Content-Type, or a Connect
   * GET) to an unknown procedure path, or undefined for everything else (REST, /health…).
   */
  resolve(req: NodeRequest, path: string): ProxyTarget | undefined;
  /** Forwards a call to an instance of its upstream, streaming both ways. */
  serve(call: ProxyCall): void;
  /** Closes the upstream connections. */
  close(): void;
}

/**
 * The gateway's gRPC, gRPC-Web and Connect proxy: the procedures of every service in the
 * registry, forwarded to the instance `instances` picks, over one HTTP/2 connection per instance.
 */
export function createProxy(options: ProxyOptions): RpcProxy {
  const table = procedureTable(options.bindings);
  const connections = createProxyConnections();
  return {
    resolve(req, path) {
      const procedure = table.byPath.get(path);
      const form = rpcWireFormOf(req);
      if (procedure)
        return { kind: "procedure", procedure, form: form ?? { protocol: "connect-unary" } };
      const named = form && procedureOf(path);
      if (!named || !form) return undefined;
      return { kind: "unknown", error: unknownProcedure(named, table.services), form };
    },
    serve(call) {
      const { procedure, form, req, res } = call;
      const instance = options.instances.pick(procedure.upstream);
      const upstreamName = `${procedure.upstream} service`;
      if (!instance) {
        const error = unavailable(upstreamName);
        writeWireError(res, form, error);
        call.onEnd({ code: String(error.code), error });
        return;
      }
      const streaming = procedure.method.methodKind === "server_streaming";
      forward(
        {
          req,
          res,
          form,
          instance,
          deadline: deadlineOf(req, form, streaming, options.unaryTimeoutMs),
          limitBytes: options.maxBodyBytes,
          upstreamHeaders: { "x-request-id": call.requestId },
          upstreamName,
          onEnd: call.onEnd,
        },
        connections,
      );
    },
    close: () => connections.close(),
  };
}

function unavailable(name: string): ConnectError {
  return new ConnectError(`${name} is unavailable: no instance may be called`, Code.Unavailable);
}
