import type { DescMethodServerStreaming, DescMethodUnary, Message } from "@bufbuild/protobuf";
import { Code, ConnectError, type Transport } from "@connectrpc/connect";
import type { Metrics } from "#shared/metrics";
import type { Balancer } from "#shared/rpc/balancer";
import type { CircuitBreaker } from "#shared/rpc/breaker";
import { createServiceTransport } from "#shared/rpc/client";
import type { ResilienceSettings } from "#shared/rpc/resilience-config";
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
   * `authorization`, the caller's verified credential, is forwarded as is: the service decides.
   * When `signal` aborts (the gateway's client hung up) the call is cancelled upstream.
   */
  call(
    rpc: DescMethodUnary,
    input: Message,
    requestId: string,
    authorization?: string,
    signal?: AbortSignal,
  ): Promise<Message>;
  /**
   * Opens a server stream with `x-request-id` and no deadline (a stream lasts as long as its
   * caller wants it); ends when `signal` aborts. Its failures, at the start or midway, are the
   * same ConnectErrors as `call`'s.
   */
  stream(
    rpc: DescMethodServerStreaming,
    input: Message,
    requestId: string,
    authorization: string | undefined,
    signal: AbortSignal,
  ): AsyncIterable<Message>;
  /** Closes the connections; calls in flight fail. */
  close(): Promise<void>;
}

/** An upstream over real instances, with what a proxy needs to share their health. */
export interface GrpcUpstream extends Upstream {
  /**
   * The instances: `pick()` one (least outstanding, ejected ones left out), send to its `url`,
   * then `report(instance, outcome)` once (`outcomeOf(error)` from #shared/rpc/outcome).
   */
  readonly balancer: Balancer<Transport>;
  /** The service's breaker: run each proxied call inside `breaker.run(...)`. */
  readonly breaker: CircuitBreaker;
}

/** Options shared by every upstream. */
export interface UpstreamOptions {
  /** The deadline of every call. */
  readonly timeoutMs: number;
  /** How errors name the upstream to clients, e.g. "product service"; default "upstream". */
  readonly name?: string;
  /** False sends calls through connect-node's transport instead of the lean client. */
  readonly unaryGrpcFastPath?: boolean;
  /** The upstream's name in metrics (e.g. "product"); `name` unless set. */
  readonly service?: string;
  /** Ejection and breaker settings; the defaults unless set. */
  readonly resilience?: ResilienceSettings;
  /** Where breaker, ejection and retry metrics go. */
  readonly metrics?: Pick<Metrics, "registry">;
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
    async call(rpc, input, requestId, authorization, signal) {
      try {
        const header: Record<string, string> = { "x-request-id": requestId };
        if (authorization !== undefined) header.authorization = authorization;
        const response = await transport.unary(rpc, signal, options.timeoutMs, header, input);
        return response.message;
      } catch (error) {
        // Nobody is left to answer; logged and counted as 499 (canceled).
        if (signal?.aborted) throw new ConnectError("the client went away", Code.Canceled);
        throw answerFor(UpstreamError.from(error), name);
      }
    },
    async *stream(rpc, input, requestId, authorization, signal) {
      try {
        const header: Record<string, string> = { "x-request-id": requestId };
        if (authorization !== undefined) header.authorization = authorization;
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
 * instance, through the lean unary client: balanced with ejection and re-admission, a circuit
 * breaker, and a call that never reached a handler tried once on another instance (see
 * `createServiceTransport`). Calls are never repeated once they may have run.
 */
export function createGrpcUpstream(
  baseUrls: readonly string[],
  options: UpstreamOptions,
): GrpcUpstream {
  const transport = createServiceTransport({
    urls: baseUrls,
    timeoutMs: options.timeoutMs,
    readMaxBytes,
    unaryGrpcFastPath: options.unaryGrpcFastPath,
    service: options.service ?? options.name,
    resilience: options.resilience,
    metrics: options.metrics,
  });
  return {
    ...createTransportUpstream(transport, options, () => transport.close()),
    balancer: transport.balancer,
    breaker: transport.breaker,
  };
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
