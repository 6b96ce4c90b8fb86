import { setTimeout as delay } from "node:timers/promises";
import { Code, ConnectError, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectGrpcTransport } from "../fast-grpc/connect-transport.js";
import { createGrpcUnaryTransport } from "../fast-grpc/unary-transport.js";
import { UpstreamError } from "./upstream-error.js";

export interface ServiceTransportOptions {
  /** Base URLs of the service's instances (see `serviceUrls` in config.ts). */
  readonly urls: readonly string[];
  /** Deadline of every call, in milliseconds. */
  readonly timeoutMs: number;
  /**
   * How many times a unary call that failed with Unavailable is tried again, on the next
   * instance, after a short backoff. Only for services whose calls are safe to repeat.
   */
  readonly retriesOnUnavailable?: number;
  readonly interceptors?: Interceptor[];
  /** Largest response message accepted; the lean client's default unless set. */
  readonly readMaxBytes?: number;
  /**
   * Send unary calls through the lean client in fast-grpc/ (default true); false sends every
   * call through connect-node's `createGrpcTransport`; callers see the same UpstreamError kinds.
   */
  readonly unaryGrpcFastPath?: boolean;
}

/**
 * A binary gRPC transport over persistent HTTP/2 connections to one or more instances of a
 * service, round-robin per call, with a deadline on every call and optional bounded retries.
 * Every failure is an UpstreamError (never the upstream's ConnectError as such).
 * Unary calls take the lean client of fast-grpc/ unless `unaryGrpcFastPath` is false. `close()`
 * closes the connections (at shutdown; calls in flight fail).
 */
export function createServiceTransport(
  options: ServiceTransportOptions,
): Transport & { close(): void } {
  const connect =
    options.unaryGrpcFastPath === false ? createConnectGrpcTransport : createGrpcUnaryTransport;
  const instances = options.urls.map((baseUrl) =>
    connect({
      baseUrl,
      defaultTimeoutMs: options.timeoutMs,
      interceptors: options.interceptors ?? [],
      readMaxBytes: options.readMaxBytes,
    }),
  );
  return {
    ...upstreamErrors(balanceTransports(instances, options.retriesOnUnavailable)),
    close() {
      for (const instance of instances) instance.close();
    },
  };
}

/**
 * One transport over several instances, taken in turn per call. A unary call that fails with
 * Unavailable is tried again up to `retriesOnUnavailable` times, on the next instance, after a
 * short backoff.
 */
export function balanceTransports(
  instances: readonly Transport[],
  retriesOnUnavailable = 0,
): Transport {
  if (instances.length === 0) throw new RangeError("a service transport needs at least one URL");
  let next = 0;
  const pick = () => instances[next++ % instances.length] as Transport;
  return {
    async unary(method, signal, timeoutMs, header, input, contextValues) {
      for (let attempt = 0; ; attempt++) {
        try {
          return await pick().unary(method, signal, timeoutMs, header, input, contextValues);
        } catch (error) {
          const unavailable = error instanceof ConnectError && error.code === Code.Unavailable;
          if (!unavailable || attempt >= retriesOnUnavailable || signal?.aborted) throw error;
          await delay(25 * 2 ** attempt);
        }
      }
    },
    stream(method, signal, timeoutMs, header, input, contextValues) {
      return pick().stream(method, signal, timeoutMs, header, input, contextValues);
    },
  };
}

/** `transport` with every failure, also of a response stream, turned into an UpstreamError. */
function upstreamErrors(transport: Transport): Transport {
  return {
    unary(method, signal, timeoutMs, header, input, contextValues) {
      return transport.unary(method, signal, timeoutMs, header, input, contextValues).catch(fail);
    },
    async stream(method, signal, timeoutMs, header, input, contextValues) {
      const response = await transport
        .stream(method, signal, timeoutMs, header, input, contextValues)
        .catch(fail);
      return { ...response, message: failing(response.message) };
    },
  };
}

function fail(error: unknown): never {
  throw UpstreamError.from(error);
}

async function* failing<T>(messages: AsyncIterable<T>): AsyncIterable<T> {
  try {
    yield* messages;
  } catch (error) {
    fail(error);
  }
}
