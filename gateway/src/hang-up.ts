import { Code, ConnectError } from "@connectrpc/connect";
import type { NodeResponse } from "#shared/server/one-port";

/**
 * A signal that aborts when the gateway's client goes away before its response was sent, so
 * the upstream call made for it is cancelled (an HTTP/2 RST_STREAM) instead of running on.
 */
export function hangUpSignal(res: NodeResponse): AbortSignal {
  const controller = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished)
      controller.abort(new ConnectError("the client went away", Code.Canceled));
  });
  return controller.signal;
}
