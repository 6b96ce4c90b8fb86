import type http2 from "node:http2";
import { readWholeBody } from "./whole-body.js";

/**
 * Reads a gRPC request stream's body and hands `onBody` its single message when the body is exactly one
 * uncompressed envelope of at most `readMaxBytes`; otherwise `payload` is undefined and
 * `replay()` yields the body (what was read, then the rest) for connect to judge.
 */
export function readEnvelope(
  stream: http2.ServerHttp2Stream,
  readMaxBytes: number,
  onBody: (payload: Uint8Array | undefined, replay: () => AsyncIterable<Uint8Array>) => void,
): void {
  readWholeBody(stream, readMaxBytes + 5, (body, replay) =>
    onBody(body && payloadOf(body, readMaxBytes), replay),
  );
}

/** The message of a body that is exactly one uncompressed envelope within the limit. */
function payloadOf(body: Buffer, readMaxBytes: number): Uint8Array | undefined {
  if (body.length < 5 || body[0] !== 0) return undefined;
  const size = body.readUInt32BE(1);
  return size === body.length - 5 && size <= readMaxBytes ? body.subarray(5) : undefined;
}
