import type http2 from "node:http2";

type Http2Request = http2.Http2ServerRequest;

/**
 * Reads the request body and hands `onBody` its single message when the body is exactly one
 * uncompressed envelope of at most `readMaxBytes`; otherwise `payload` is undefined and
 * `replay` yields the body (what was read, then the rest) for connect to judge.
 */
export function readEnvelope(
  req: Http2Request,
  readMaxBytes: number,
  onBody: (payload: Uint8Array | undefined, replay: AsyncIterable<Uint8Array>) => void,
): void {
  const chunks: Buffer[] = [];
  let length = 0;
  const done = (ended: boolean) => {
    req.off("data", onData);
    req.off("end", onEnd);
    req.off("close", onClose);
    const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, length);
    const size = body.length >= 5 ? body.readUInt32BE(1) : -1;
    const whole = ended && body[0] === 0 && size === body.length - 5 && size <= readMaxBytes;
    onBody(whole ? body.subarray(5) : undefined, replay(chunks, ended ? undefined : req));
  };
  const onData = (chunk: Buffer) => {
    chunks.push(chunk);
    length += chunk.length;
    if (length > readMaxBytes + 5) {
      req.pause();
      done(false);
    }
  };
  const onEnd = () => done(true);
  const onClose = () => done(false);
  req.on("data", onData);
  req.once("end", onEnd);
  req.once("close", onClose);
}

async function* replay(read: Buffer[], rest: Http2Request | undefined): AsyncIterable<Uint8Array> {
  yield* read;
  if (rest) yield* rest;
}
