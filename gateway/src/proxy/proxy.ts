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
import type { CallCode } from "./call-status.js";
import { deadlineOf } from "./deadline.js";
import { type ForwardedCall, forward } from "./forward.js";
import { createProxyConnections, type InstancePicker, type PickedInstance } from "./instances.js";
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
  readonly onEnd: (outcome: { code: CallCode; error?: ConnectError }) => void;
}

export interface RpcProxy {
  /**
   * The target of a request: a proxied procedure, an RPC request (by Content-Type, or a Connect
   * GET) to an unknown procedure path, or undefined for everything else (REST, /health…).
   */
  resolve(req: NodeRequest, path: string): ProxyTarget | undefined;
  /**
   * Forwards a call to an instance of its upstream, streaming both ways; answers Unavailable
   * in the call's protocol when the upstream's breaker is open or it has no instance.
   */
  serve(call: ProxyCall): void;
  /**
   * Ends every server stream under way (shutdown): each client hears Unavailable in its
   * protocol's own form after the message in passage, and the upstream stream is cancelled.
   * Resolves once they have ended. Unary calls are left to finish.
   */
  drain(): Promise<void>;
  /** Closes the upstream connections. */
  close(): void;
}

const SHUTTING_DOWN = "the gateway is shutting down; call again to reach another";

/**
 * The gateway's gRPC, gRPC-Web and Connect proxy: the procedures of every service in the
 * registry, forwarded to the instance `instances` picks, over one HTTP/2 connection per instance.
 */
export function createProxy(options: ProxyOptions): RpcProxy {
  const table = procedureTable(options.bindings);
  const connections = createProxyConnections();
  const streams = new Set<ForwardedCall>();
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
      const upstreamName = `${procedure.upstream} service`;
      let instance: PickedInstance | undefined;
      let refusal: ConnectError | undefined;
      try {
        instance = options.instances.pick(procedure.upstream);
      } catch (error) {
        // The breaker is open: the same answer a REST call gets, with the breaker's as cause.
        refusal = new ConnectError(
          `${upstreamName} is unavailable`,
          Code.Unavailable,
          undefined,
          undefined,
          error,
        );
      }
      if (!instance) {
        const error = refusal ?? unavailable(upstreamName);
        writeWireError(res, form, error);
        call.onEnd({ code: error.code, error });
        return;
      }
      const streaming = procedure.method.methodKind === "server_streaming";
      const forwarded = forward(
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
      if (!streaming) return;
      streams.add(forwarded);
      void forwarded.ended.then(() => streams.delete(forwarded));
    },
    async drain() {
      const error = new ConnectError(SHUTTING_DOWN, Code.Unavailable);
      for (const stream of streams) stream.stop(error);
      await Promise.all([...streams].map((stream) => stream.ended));
    },
    close: () => connections.close(),
  };
}

function unavailable(name: string): ConnectError {
  return new ConnectError(`${name} is unavailable: no instance may be called`, Code.Unavailable);
}
