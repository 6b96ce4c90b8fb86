import type { DescMethodServerStreaming, DescMethodUnary, Message } from "@bufbuild/protobuf";
import { Code, ConnectError, type Transport } from "@connectrpc/connect";
import { createServiceTransport } from "#shared/rpc/client";
import { UpstreamError } from "#shared/rpc/upstream-error";

/**
 * Calls unary RPCs on one upstream service. This is the seam where a leaner client than
 * Connect's transport can be swapped in; the gateway needs nothing else from it.
 */
export interface Upstream {
  /**
   * Sends `input` with `x-request-id` and the configured deadline; resolves the response or
   * rejects with the ConnectError for the gateway's client: the upstream's own refusals
   * (NotFound, InvalidArgument, FailedPrecondition…) as they were, Unavailable or
   * DeadlineExceeded naming the upstream, Internal for anything else; the original is the cause.
   */
  call(rpc: DescMethodUnary, input: Message, requestId: string): Promise<Message>;
  /**
   * Opens a server stream with `x-request-id` and no deadline (a stream lasts as long as its
   * caller wants it); ends when `signal` aborts. Its failures, at the start or midway, are the
   * same ConnectErrors as `call`'s.
   */
  stream(
    rpc: DescMethodServerStreaming,
    input: Message,
    requestId: string,
    signal: AbortSignal,
  ): AsyncIterable<Message>;
  /** Closes the connections; calls in flight fail. */
  close(): Promise<void>;
}

/** Options shared by every upstream. */
export interface UpstreamOptions {
  /** The deadline of every call. */
  readonly timeoutMs: number;
  /** How errors name the upstream to clients, e.g. "product service"; default "upstream". */
  readonly name?: string;
  /** False sends calls through connect-node's transport instead of the lean client. */
  readonly unaryGrpcFastPath?: boolean;
}

// Bounds what one misbehaving upstream can make the gateway buffer for a single response.
const readMaxBytes = 16 * 1024 * 1024;

/**
 * An upstream over a Connect transport (balanced over instances by `createServiceTransport` or
 * `balanceTransports`). Tests pass in-memory router transports; `createGrpcUpstream` real ones.
 */
export function createTransportUpstream(
  transport: Transport,
  options: UpstreamOptions,
  onClose: () => void = () => {},
): Upstream {
  const name = options.name ?? "upstream";
  return {
    async call(rpc, input, requestId) {
      try {
        const header = { "x-request-id": requestId };
        const response = await transport.unary(rpc, undefined, options.timeoutMs, header, input);
        return response.message;
      } catch (error) {
        throw answerFor(UpstreamError.from(error), name);
      }
    },
    async *stream(rpc, input, requestId, signal) {
      try {
        const header = { "x-request-id": requestId };
        // 0: no deadline (undefined would mean the transport's default, the unary one).
        const response = await transport.stream(
          rpc,
          signal,
          0,
          header,
          (async function* () {
            yield input;
          })(),
        );
        yield* response.message;
      } catch (error) {
        throw answerFor(UpstreamError.from(error), name);
      }
    },
    async close() {
      onClose();
    },
  };
}

/**
 * An upstream speaking binary gRPC to each base URL over one persistent HTTP/2 connection per
 * instance, round robin, reconnecting on demand, through the lean unary client.
 */
export function createGrpcUpstream(
  baseUrls: readonly string[],
  options: UpstreamOptions,
): Upstream {
  const transport = createServiceTransport({
    urls: baseUrls,
    timeoutMs: options.timeoutMs,
    readMaxBytes,
    unaryGrpcFastPath: options.unaryGrpcFastPath,
  });
  return createTransportUpstream(transport, options, () => transport.close());
}

/**
 * What the gateway's client is told of a failed upstream call: a refusal our service chose as it
 * was, otherwise our own words, naming the service but never where it lives, with the failure
 * as the cause for the access log.
 */
function answerFor(failure: UpstreamError, name: string): ConnectError {
  const answer = (message: string, code: Code) =>
    new ConnectError(message, code, undefined, undefined, failure);
  switch (failure.kind) {
    case "refused":
      return failure.cause;
    case "unavailable":
      return answer(`${name} is unavailable`, Code.Unavailable);
    case "timeout":
      return answer(`${name} did not answer in time`, Code.DeadlineExceeded);
    case "failed":
      return answer("internal error", Code.Internal);
  }
}
