import { Code, ConnectError } from "@connectrpc/connect";

/**
 * The response body: at most one envelope of at most `readMaxBytes`. A body that is anything
 * else is the server breaking the protocol, hence Internal (connect-node says InvalidArgument or
 * Unimplemented, codes that would blame our own caller).
 */
export class ResponseBody {
  private chunks: Buffer[] = [];
  private length = 0;
  constructor(private readonly readMaxBytes: number) {}

  /** False once the body is too long to be one acceptable envelope: stop reading. */
  add(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    this.length += chunk.length;
    return this.length <= this.readMaxBytes + 5;
  }

  /** Why the body cannot be accepted; call when `add` returned false. */
  error(): unknown {
    try {
      this.payload();
      return protocolError("response body too long");
    } catch (error) {
      return error;
    }
  }

  /** The message bytes; undefined for an empty body. */
  payload(): Uint8Array | undefined {
    if (this.length === 0) return undefined;
    const bytes =
      this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    if (bytes.length < 5) throw protocolError("incomplete envelope");
    const size = bytes.readUInt32BE(1);
    if (size > this.readMaxBytes) {
      const reason = `message size ${size} is larger than configured readMaxBytes ${this.readMaxBytes}`;
      throw new ConnectError(reason, Code.ResourceExhausted);
    }
    if (bytes.length < size + 5) throw protocolError("incomplete envelope");
    if (bytes.length > size + 5) {
      throw protocolError("received extra output message for unary method");
    }
    if (bytes[0] === 1) {
      const reason = "received compressed envelope, but do not know how to decompress";
      throw new ConnectError(reason, Code.Internal);
    }
    if (bytes[0] !== 0) throw protocolError(`invalid envelope flags ${bytes[0]}`);
    return bytes.subarray(5);
  }
}

/** A server that broke the gRPC protocol: Internal, with connect's wording. */
export function protocolError(reason: string): ConnectError {
  return new ConnectError(`protocol error: ${reason}`, Code.Internal);
}
