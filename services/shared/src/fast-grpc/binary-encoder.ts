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
  encode(message: MessageShape<Desc>): Uint8Array<ArrayBuffer> | undefined;
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
      serialize: (message) => encoder.encode(message) ?? library.serialize(message),
    },
    limits,
  );
  return {
    getI: (binary) => lookup.getI(binary),
    getO: (binary) => (binary ? output : lookup.getO(false)),
  };
}
