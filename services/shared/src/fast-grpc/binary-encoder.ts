import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { limitSerialization, type MethodSerializationLookup } from "@connectrpc/connect/protocol";

/**
 * A hand-written protobuf binary encoder for one message type, standing in for protobuf-es 2.17's
 * `toBinary` where a response is large and frequent (a service passes it to `bindService`). It
 * must write exactly toBinary's bytes, and answer undefined for any message it does not write
 * exactly so: that message goes to toBinary. Only this folder's short paths use it; with them
 * switched off (`GRPC_FAST_PATH=false`), every message goes to toBinary.
 */
export type BinaryEncoder<Desc extends DescMessage = DescMessage> = {
  readonly schema: Desc;
  /**
   * The message's bytes after `headroom` zero bytes, for the caller to fill: the gRPC path writes
   * its 5-byte envelope header there, instead of copying the message behind one.
   */
  encode(message: MessageShape<Desc>, headroom: number): Uint8Array<ArrayBuffer> | undefined;
};

/**
 * `lookup` with its binary output trying `encoder` first (when one is given for the method's
 * output); connect's write limit applies to the bytes either way.
 */
export function withBinaryEncoder(
  lookup: MethodSerializationLookup<DescMessage, DescMessage>,
  encoder: BinaryEncoder | undefined,
  limits: { readMaxBytes: number; writeMaxBytes: number },
): MethodSerializationLookup<DescMessage, DescMessage> {
  if (!encoder) return lookup;
  const library = lookup.getO(true);
  // The library's serializer checks its own bytes; checking them again costs a comparison.
  const output = limitSerialization(
    {
      parse: (data) => library.parse(data),
      serialize: (message) => encoder.encode(message, 0) ?? library.serialize(message),
    },
    limits,
  );
  return {
    getI: (binary) => lookup.getI(binary),
    getO: (binary) => (binary ? output : lookup.getO(false)),
  };
}

/**
 * `encoder`'s bytes of a message as one uncompressed gRPC envelope (flags 0, then the length), as
 * connect's `encodeEnvelope` frames the serialized message, written in place; undefined when the
 * encoder declines the message, or the message is over connect's write limit (the route's
 * serializer then writes it, and raises connect's error).
 */
export function envelopeWriter(
  encoder: BinaryEncoder | undefined,
  limits: { writeMaxBytes: number },
): ((message: MessageShape<DescMessage>) => Uint8Array<ArrayBuffer> | undefined) | undefined {
  if (!encoder) return undefined;
  return (message) => {
    const frame = encoder.encode(message, 5);
    const length = frame ? frame.byteLength - 5 : 0;
    if (!frame || length > limits.writeMaxBytes) return undefined;
    frame[1] = length >>> 24;
    frame[2] = (length >>> 16) & 0xff;
    frame[3] = (length >>> 8) & 0xff;
    frame[4] = length & 0xff;
    return frame;
  };
}
