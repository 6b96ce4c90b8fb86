import type { DescService } from "@bufbuild/protobuf";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { ServerReflection } from "#gen/grpc/reflection/v1/reflection_pb";
import { ServerReflection as ServerReflectionV1alpha } from "#gen/grpc/reflection/v1alpha/reflection_pb";
import { createReflectionService, createReflectionV1alphaService } from "#shared/rpc/reflection";
import type { NodeHandler } from "#shared/server/one-port";

/** The gateway's own gRPC server reflection. */
export interface GatewayReflection {
  /** True for the procedure path of reflection v1 or v1alpha (`…/ServerReflectionInfo`). */
  handles(path: string): boolean;
  /** Answers a reflection call; over gRPC it is a bidirectional stream, so HTTP/2 only. */
  readonly serve: NodeHandler;
}

/** Reflection requests are a symbol or file name each: far below this. */
const READ_MAX_BYTES = 64 * 1024;

/**
 * grpc.reflection.v1 and v1alpha for the services the gateway proxies, answered by the gateway
 * itself from the descriptors it was built with (the services' own implementation,
 * #shared/rpc/reflection), never proxied: the gateway's port serves services of several
 * upstreams, which no single upstream could list. So `buf curl` and grpcurl need no `--schema`
 * through the gateway. Public, as on the services.
 */
export function createGatewayReflection(services: readonly DescService[]): GatewayReflection {
  const reflected = [...new Set(services), ServerReflection, ServerReflectionV1alpha];
  const paths = new Set(
    [ServerReflection, ServerReflectionV1alpha].map(
      (service) => `/${service.typeName}/${service.method.serverReflectionInfo.name}`,
    ),
  );
  const adapter = connectNodeAdapter({
    routes: (router) => {
      router.service(ServerReflection, createReflectionService(reflected));
      router.service(ServerReflectionV1alpha, createReflectionV1alphaService(reflected));
    },
    readMaxBytes: READ_MAX_BYTES,
  });
  return {
    handles: (path) => paths.has(path),
    serve: adapter as NodeHandler,
  };
}
