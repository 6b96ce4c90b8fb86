import type { ServerResponse } from "node:http";
import { Code, ConnectError } from "@connectrpc/connect";

/**
 * A signal that aborts when the gateway's client goes away before its response was sent, so
 * the upstream call made for it is cancelled (an HTTP/2 RST_STREAM) instead of running on.
 */
export function hangUpSignal(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished)
      controller.abort(new ConnectError("the client went away", Code.Canceled));
  });
  return controller.signal;
}
