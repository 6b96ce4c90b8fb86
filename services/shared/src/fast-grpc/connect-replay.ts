import type { ConnectRouter } from "@connectrpc/connect";
import {
  Code,
  ConnectError,
  type ConnectRouterOptions,
  createConnectRouter,
} from "@connectrpc/connect";
import {
  universalRequestFromNodeRequest,
  universalResponseToNodeResponse,
} from "@connectrpc/connect-node";
import type { Logger } from "../logger.js";
import { respellGrpcMessagesOn } from "../rpc/grpc-status.js";
import type { NodeRequest, NodeResponse } from "../server/one-port.js";

/**
 * Connect's own handling of an RPC whose request body was already read (by the unary gRPC or
 * Connect path), with `body` replaying it: the same router, protocol checks, errors and logging as
 * `connectNodeAdapter`, which cannot be handed a body that is already consumed. A response that
 * cannot be written is logged to `logger`, where connectNodeAdapter would use the console.
 */
export function createConnectReplay(
  options: ConnectRouterOptions & { routes: (router: ConnectRouter) => void },
  logger: Logger,
) {
  const router = createConnectRouter(options);
  options.routes(router);
  const handlers = new Map(router.handlers.map((handler) => [handler.requestPath, handler]));
  return (req: NodeRequest, res: NodeResponse, body: AsyncIterable<Uint8Array>) => {
    const handler = handlers.get(req.url ?? "");
    // A stream or connection already closed by the client has no one left to answer.
    if (!handler || ("stream" in req ? req.stream.closed : res.destroyed)) return;
    respellGrpcMessagesOn(req, res);
    const request = { ...universalRequestFromNodeRequest(req, res, undefined, undefined), body };
    handler(request)
      .then((response) => universalResponseToNodeResponse(response, res))
      .catch((reason: unknown) => {
        // What connectNodeAdapter does with a failure to write the response.
        if (ConnectError.from(reason).code === Code.Aborted) return;
        const rpc = { rpc: handler.service.typeName, method: handler.method.name };
        logger.error({ ...rpc, err: reason }, "rpc response could not be written");
      });
  };
}
