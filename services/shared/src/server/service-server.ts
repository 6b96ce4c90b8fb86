import type { DescService } from "@bufbuild/protobuf";
import {
  type ConnectRouter,
  createServiceImplSpec,
  type ServiceImpl,
  type ServiceImplSpec,
} from "@connectrpc/connect";
import { compressionBrotli, compressionGzip, connectNodeAdapter } from "@connectrpc/connect-node";
import { ServerReflection } from "#gen/grpc/reflection/v1/reflection_pb";
import { ServerReflection as ServerReflectionV1alpha } from "#gen/grpc/reflection/v1alpha/reflection_pb";
import { Health } from "#gen/health/v1/health_pb";
import { authInterceptor } from "../auth/interceptor.js";
import type { Verifier } from "../auth/verifier.js";
import type { BinaryEncoder } from "../fast-grpc/binary-encoder.js";
import { createConnectReplay } from "../fast-grpc/connect-replay.js";
import { createConnectUnaryHandler } from "../fast-grpc/connect-unary-handler.js";
import { createGrpcUnaryHandler, type UnarySpec } from "../fast-grpc/unary-handler.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";
import { errorInterceptor } from "../rpc/errors.js";
import { withGrpcMessageRespelled } from "../rpc/grpc-status.js";
import { createHealthService } from "../rpc/health.js";
import { observeInterceptor } from "../rpc/observe.js";
import { createReflectionService, createReflectionV1alphaService } from "../rpc/reflection.js";
import { createDrain } from "./drain.js";
import { createOnePortServer } from "./one-port.js";
import { createProbes } from "./probes.js";
import { answerUnknownProcedures } from "./unknown-procedure.js";

/** A Connect service implementation bound to its descriptor, ready to register on a router. */
export interface ServiceBinding {
  readonly desc: DescService;
  /** The implementation per method, for the unary gRPC path (see fast-grpc/unary-handler.ts). */
  readonly spec: ServiceImplSpec;
  /** Hand-written binary encoders of some of its responses, for the unary short paths. */
  readonly encoders: readonly BinaryEncoder[];
  register(router: ConnectRouter): void;
}

/**
 * Binds `impl` to `desc`; a missing method in `impl` is a compile error. `encoders` write some
 * responses in place of protobuf-es's toBinary on the short paths (fast-grpc/binary-encoder.ts).
 */
export function bindService<S extends DescService>(
  desc: S,
  impl: ServiceImpl<S>,
  encoders: readonly BinaryEncoder[] = [],
): ServiceBinding {
  return {
    desc,
    spec: createServiceImplSpec(desc, impl),
    encoders,
    register: (router) => router.service(desc, impl),
  };
}

export interface ServiceServerOptions {
  /** Short name for logs, e.g. "product". */
  readonly name: string;
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  readonly services: readonly ServiceBinding[];
  readonly logger: Logger;
  readonly metrics: Metrics;
  /**
   * Checks the bearer token of every call (see auth/interceptor.ts): each RPC's
   * `(shop.auth.v1.access)` rule is enforced here, for every protocol, fast path included.
   */
  readonly verifier: Verifier;
  /** Readiness: resolves true when every store the service needs answers. */
  readonly isReady: () => Promise<boolean>;
  /** Largest request message accepted; default 4 MiB. */
  readonly readMaxBytes?: number;
  /**
   * Serve plain unary gRPC calls (HTTP/2) and plain unary Connect calls (HTTP/1.1) on the short
   * paths in fast-grpc/ (default true); false leaves every request to connect-node's own handler.
   * The answers are the same either way.
   */
  readonly unaryGrpcFastPath?: boolean;
}

/** A running service server. */
export interface ServiceServer {
  readonly port: number;
  /** Stops accepting, lets in-flight calls finish (up to `graceMs`), then closes every connection. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Starts one port that answers gRPC, gRPC-Web and Connect for `services`, plus the standard gRPC
 * health and reflection services (gRPC only for reflection: it is bidirectional streaming), and
 * plain HTTP GET /health, /ready and /metrics.
 */
export async function startServiceServer(options: ServiceServerOptions): Promise<ServiceServer> {
  const { logger, metrics, isReady } = options;
  const descs = options.services.map((binding) => binding.desc);
  const names = descs.map((desc) => desc.typeName);
  const reflected = [...descs, Health, ServerReflection, ServerReflectionV1alpha];
  const bindings = [
    ...options.services,
    bindService(Health, createHealthService(names, isReady)),
    bindService(ServerReflection, createReflectionService(reflected)),
    bindService(ServerReflectionV1alpha, createReflectionV1alphaService(reflected)),
  ];
  const drain = createDrain();
  // fast-grpc/unary-handler.ts honours exactly these options; one added here must be handled
  // there too.
  const connectOptions = {
    routes: (router: ConnectRouter) => {
      for (const binding of bindings) binding.register(router);
    },
    interceptors: [
      observeInterceptor(logger, metrics),
      errorInterceptor(logger),
      // Health and reflection show no data, only what /health and the protos already do.
      authInterceptor(options.verifier, descs, [Health, ServerReflection, ServerReflectionV1alpha]),
    ],
    readMaxBytes: options.readMaxBytes ?? 4 * 1024 * 1024,
    // connect-node's default, spelled out because the unary gRPC path must offer the same.
    acceptCompression: [compressionGzip, compressionBrotli],
  };
  const connect = withGrpcMessageRespelled(
    connectNodeAdapter({
      ...connectOptions,
      fallback: answerUnknownProcedures(
        bindings.map((binding) => binding.desc.typeName),
        createProbes({ isReady, metrics }),
      ),
    }),
  );
  // The short paths of fast-grpc/: unary gRPC straight from node's HTTP/2 streams, and unary
  // Connect over HTTP/1.1 for what node makes requests of; what they decline goes to
  // connect-node, and a request whose body they read to connect's router (connectReplay).
  const fastPaths = () => {
    const shared = {
      ...connectOptions,
      methods: bindings.flatMap((binding) => unaryMethods(binding.spec)),
      encoders: bindings.flatMap((binding) => binding.encoders),
      connectReplay: createConnectReplay(connectOptions, logger),
    };
    return {
      handler: createConnectUnaryHandler({ ...shared, connect }),
      streams: drain.wrapStreams(createGrpcUnaryHandler(shared)),
    };
  };
  const paths =
    options.unaryGrpcFastPath === false ? { handler: connect, streams: undefined } : fastPaths();
  const server = createOnePortServer(drain.wrap(paths.handler), paths.streams);
  drain.watch(server);
  await new Promise<void>((resolve, reject) => {
    server.listener.once("error", reject);
    server.listener.listen(options.port, options.host, resolve);
  });
  const address = server.listener.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  logger.info({ port, services: names }, `${options.name} listening on ${options.host}:${port}`);
  return { port, close: (graceMs = 10_000) => drain.close(graceMs) };
}

function unaryMethods(spec: ServiceImplSpec): UnarySpec[] {
  return Object.values(spec.methods).filter(
    (method): method is UnarySpec => method.kind === "unary",
  );
}
