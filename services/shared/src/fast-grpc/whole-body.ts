import type http from "node:http";
import type http2 from "node:http2";

/**
 * A request body as both short paths read it: HTTP/1.1 for Connect, node's HTTP/2 stream itself
 * for gRPC.
 */
type BodyRequest = http.IncomingMessage | http2.ServerHttp2Stream;

/**
 * Reads a request body and hands `onBody` all of it when it ended within `maxBytes`; otherwise
 * (too large, or the request closed or failed first) `body` is undefined. Either way `replay()`
 * yields what was read, then the rest, for connect to judge (made only when asked for: most
 * bodies are served, not replayed).
 */
export function readWholeBody(
  req: BodyRequest,
  maxBytes: number,
  onBody: (body: Buffer | undefined, replay: () => AsyncIterable<Uint8Array>) => void,
): void {
  const chunks: Buffer[] = [];
  let length = 0;
  // `on`, not `once`: done() removes all four, and `once` wraps each listener anew per request.
  const done = (ended: boolean) => {
    req.off("data", onData);
    req.off("end", onEnd);
    req.off("close", onClose);
    req.off("error", onClose);
    const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, length);
    onBody(ended ? body : undefined, () => replay(chunks, ended ? undefined : req));
  };
  const onData = (chunk: Buffer) => {
    chunks.push(chunk);
    length += chunk.length;
    if (length > maxBytes) {
      req.pause();
      done(false);
    }
  };
  const onEnd = () => done(true);
  const onClose = () => done(false);
  req.on("data", onData);
  req.on("end", onEnd);
  req.on("close", onClose);
  req.on("error", onClose);
}

async function* replay(read: Buffer[], rest: BodyRequest | undefined): AsyncIterable<Uint8Array> {
  yield* read;
  if (rest) yield* rest;
}
