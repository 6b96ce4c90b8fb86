import type * as http2 from "node:http2";
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
  const sessionManager = new GoawaySafeSessionManager(options.baseUrl);
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

/**
 * connect-node 2.2.0's session manager, except that a session's late error never reaches the
 * process as an uncaught exception. When an idle session receives GOAWAY (a draining upstream
 * sends one), connect-node destroys it with an error that Node raises only once the socket has
 * closed; a call made in between moves the manager to a new session and removes its listeners,
 * so the error crashed the process (connectrpc/connect-es#1768, fix not released). Every error a
 * session raises still fails its streams and reaches the manager while the session is current;
 * this listener only catches what nobody listens for any more, as connect-node's `abort()` does.
 */
class GoawaySafeSessionManager extends Http2SessionManager {
  private readonly guarded = new WeakSet<http2.Http2Session>();

  override async request(
    ...args: Parameters<Http2SessionManager["request"]>
  ): Promise<http2.ClientHttp2Stream> {
    const stream = await super.request(...args);
    const session = stream.session;
    if (session !== undefined && !this.guarded.has(session)) {
      this.guarded.add(session);
      session.on("error", ignore);
    }
    return stream;
  }
}

function ignore(): void {}
