import { setTimeout as delay } from "node:timers/promises";
import { Code, ConnectError, type Interceptor, type Transport } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus } from "#gen/health/v1/health_pb";
import { createConnectGrpcTransport } from "../fast-grpc/connect-transport.js";
import { createGrpcUnaryTransport } from "../fast-grpc/unary-transport.js";
import type { Metrics } from "../metrics.js";
import { Balancer, type Instance } from "./balancer.js";
import { CircuitBreaker } from "./breaker.js";
import { type Outcome, outcomeOf } from "./outcome.js";
import { defaultResilience, type ResilienceSettings } from "./resilience-config.js";
import { UpstreamError } from "./upstream-error.js";
import { upstreamEvents, upstreamMetrics } from "./upstream-metrics.js";

export interface ServiceTransportOptions {
  /** Base URLs of the service's instances (see `serviceUrls` in config.ts). */
  readonly urls: readonly string[];
  /** Deadline of every call, in milliseconds, retries included. */
  readonly timeoutMs: number;
  /**
   * How many times a unary call that failed with Unavailable (also a broken connection, after
   * which it may have run) is tried again, on another instance when there is one, after a short
   * backoff. Only for services whose calls are safe to repeat. Independently of this, a call that
   * never reached a handler is always tried once more on another instance.
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
  /** The service's name in metrics and in the breaker's error, e.g. "product". */
  readonly service?: string;
  /** Ejection and breaker settings; `defaultResilience` unless set. */
  readonly resilience?: ResilienceSettings;
  /** Where the breaker, ejection and retry metrics go; none unless set. */
  readonly metrics?: Pick<Metrics, "registry">;
}

/** A transport to every instance of one service. */
export type ServiceTransport = Transport & {
  /** The instances and their health; the gateway's proxy may pick from it (see Balancer). */
  readonly balancer: Balancer<Transport>;
  /** The service's breaker: wrap calls made around this transport in `breaker.run`. */
  readonly breaker: CircuitBreaker;
  /** Closes the connections and stops the probes (at shutdown; calls in flight fail). */
  close(): void;
};

/**
 * A binary gRPC transport over persistent HTTP/2 connections to one or more instances of a
 * service: balanced (least outstanding), failing instances ejected and probed back, a call
 * that never reached a handler tried once more on another instance, a circuit breaker over the
 * service, and a deadline on every call. Every failure is an UpstreamError (never the upstream's
 * ConnectError as such). Unary calls take the lean client of fast-grpc/ unless
 * `unaryGrpcFastPath` is false.
 */
export function createServiceTransport(options: ServiceTransportOptions): ServiceTransport {
  const connect =
    options.unaryGrpcFastPath === false ? createConnectGrpcTransport : createGrpcUnaryTransport;
  const targets = options.urls.map((baseUrl) =>
    connect({
      baseUrl,
      defaultTimeoutMs: options.timeoutMs,
      interceptors: options.interceptors ?? [],
      readMaxBytes: options.readMaxBytes,
    }),
  );
  const balanced = balanceTransports(
    targets.map((target, index) => ({ url: options.urls[index] as string, target })),
    options,
  );
  return {
    ...upstreamErrors(balanced),
    balancer: balanced.balancer,
    breaker: balanced.breaker,
    close() {
      balanced.balancer.close();
      for (const target of targets) target.close();
    },
  };
}

export interface BalanceOptions {
  /** The deadline of calls that pass no `timeoutMs`, retries included; none when undefined. */
  readonly timeoutMs?: number;
  readonly retriesOnUnavailable?: number;
  readonly service?: string;
  readonly resilience?: ResilienceSettings;
  readonly metrics?: Pick<Metrics, "registry">;
}

/**
 * One transport over several instances (see `createServiceTransport`), without the conversion
 * to UpstreamError: tests pass in-memory router transports. An ejected instance is re-admitted
 * when it answers the standard gRPC health check SERVING (or Unimplemented: it answers).
 */
export function balanceTransports(
  instances: readonly { readonly url: string; readonly target: Transport }[],
  options: BalanceOptions = {},
): Transport & { readonly balancer: Balancer<Transport>; readonly breaker: CircuitBreaker } {
  const service = options.service ?? "upstream";
  const { ejection, breaker: breakerSettings } = options.resilience ?? defaultResilience;
  const events = options.metrics
    ? upstreamEvents(
        upstreamMetrics(options.metrics.registry),
        service,
        instances.map(({ url }) => url),
      )
    : undefined;
  const probeMs = Math.min(options.timeoutMs ?? 2000, 2000);
  const balancer = new Balancer(instances, ejection, (each) => healthy(each, probeMs), events);
  const breaker = new CircuitBreaker(service, breakerSettings, events);
  const retries = options.retriesOnUnavailable ?? 0;
  const onRetry = events?.onRetry ?? (() => {});

  const attempt: Transport["unary"] = async (method, signal, timeoutMs, ...rest) => {
    const budget = timeoutMs ?? options.timeoutMs;
    const started = performance.now();
    let instance = balancer.pick() as Instance<Transport>;
    let unsentRetried = false;
    for (let retried = 0; ; ) {
      let left = budget;
      if (budget !== undefined && budget > 0) {
        // Whole milliseconds: connect-node's grpc-timeout header takes no fractions.
        left = Math.ceil(budget - (performance.now() - started));
        if (left <= 0) {
          balancer.report(instance, "canceled");
          throw new ConnectError("the operation timed out", Code.DeadlineExceeded);
        }
      }
      try {
        const response = await instance.target.unary(method, signal, left, ...rest);
        balancer.report(instance, "ok");
        return response;
      } catch (error) {
        if (signal?.aborted) {
          balancer.report(instance, "canceled");
          throw error;
        }
        const outcome = callerless(outcomeOf(error));
        balancer.report(instance, outcome);
        // Never reached a handler: safe to send again for any call, but only elsewhere.
        const other = outcome === "unsent" && !unsentRetried ? balancer.pick(instance) : undefined;
        if (other) {
          unsentRetried = true;
          onRetry("unsent");
          instance = other;
          continue;
        }
        if (!UNAVAILABLE.has(outcome) || retried >= retries) throw error;
        await delay(25 * 2 ** retried++);
        onRetry("unavailable");
        instance = balancer.pick(instance) ?? (balancer.pick() as Instance<Transport>);
      }
    }
  };

  return {
    balancer,
    breaker,
    unary(method, signal, timeoutMs, header, input, contextValues) {
      return breaker.run(() => attempt(method, signal, timeoutMs, header, input, contextValues));
    },
    async stream(method, signal, timeoutMs, header, input, contextValues) {
      const instance = balancer.pick() as Instance<Transport>;
      try {
        const response = await instance.target.stream(
          method,
          signal,
          timeoutMs ?? options.timeoutMs,
          header,
          input,
          contextValues,
        );
        balancer.report(instance, "ok");
        return response;
      } catch (error) {
        balancer.report(instance, outcomeOf(error));
        throw error;
      }
    },
  };
}

/** What `retriesOnUnavailable` retries: the service or the way to it was unavailable. */
const UNAVAILABLE: ReadonlySet<Outcome> = new Set(["unsent", "connection", "unavailable"]);

/**
 * A call cancelled while its caller had not cancelled it was cut by the connection: connect-node
 * reports a session torn down under a stream as CANCEL.
 */
function callerless(outcome: Outcome): Outcome {
  return outcome === "canceled" ? "connection" : outcome;
}

/** Whether an ejected instance answers the standard health check SERVING (or at all). */
async function healthy(instance: Instance<Transport>, timeoutMs: number): Promise<boolean> {
  try {
    const check = Health.method.check;
    const answer = await instance.target.unary(check, undefined, timeoutMs, undefined, {});
    return answer.message.status === HealthCheckResponse_ServingStatus.SERVING;
  } catch (error) {
    return ConnectError.from(error).code === Code.Unimplemented;
  }
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
