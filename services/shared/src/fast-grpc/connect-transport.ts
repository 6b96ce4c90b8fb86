import type { Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import type { GrpcUnaryTransportOptions } from "./unary-transport.js";

/**
 * connect-node's own gRPC transport to `options.baseUrl` over one HTTP/2 session, with the
 * lean client's options and a `close()` that destroys the session: the road the lean client
 * stands in for. The lean client sends streaming calls here, and `createServiceTransport` takes
 * it for every call when the fast path is switched off.
 */
export function createConnectGrpcTransport(
  options: GrpcUnaryTransportOptions,
): Transport & { close(): void } {
  const sessionManager = new Http2SessionManager(options.baseUrl);
  const transport = createGrpcTransport({
    baseUrl: options.baseUrl,
    defaultTimeoutMs: options.defaultTimeoutMs,
    interceptors: options.interceptors,
    readMaxBytes: options.readMaxBytes,
    sessionManager,
  });
  return {
    unary: transport.unary.bind(transport),
    stream: transport.stream.bind(transport),
    close: () => sessionManager.abort(),
  };
}
