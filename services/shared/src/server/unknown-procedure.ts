import {
  procedureOf,
  rpcWireFormOf,
  unknownProcedure,
  writeUnknownProcedure,
} from "../rpc/wire-errors.js";
import type { NodeHandler } from "./one-port.js";

/**
 * The fallback for requests no registered procedure takes: an RPC request (by its Content-Type,
 * or a Connect GET) to a procedure path hears Unimplemented in its protocol's own form —
 * gRPC and gRPC-Web with HTTP 200 and grpc-status 12 (trailers-only for gRPC, a trailer frame for
 * gRPC-Web), Connect with HTTP 404 (what connect-node's router answers, bodiless) and the Connect
 * error JSON `unimplemented` (what the Connect protocol says an unknown procedure is). Anything
 * else goes to `otherwise` (the probes).
 */
export function answerUnknownProcedures(
  services: readonly string[],
  otherwise: NodeHandler,
): NodeHandler {
  const known = new Set(services);
  return (req, res) => {
    const procedure = procedureOf(req.url?.split("?", 1)[0] ?? "");
    const form = procedure && rpcWireFormOf(req);
    if (!procedure || !form) return otherwise(req, res);
    writeUnknownProcedure(res, form, unknownProcedure(procedure, known));
  };
}
