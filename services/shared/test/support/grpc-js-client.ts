import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

const root = (path: string) => fileURLToPath(new URL(`../../../../${path}`, import.meta.url));

/** A @grpc/grpc-js client built at run time from a .proto file, with promise-returning calls. */
export interface GrpcJsClient {
  /** One unary call; `metadata` (e.g. `await bearer("alice")` from ./auth.ts) as gRPC metadata. */
  call<T>(method: string, request: object, metadata?: Record<string, string>): Promise<T>;
  close(): void;
}

/**
 * Loads `protoFile` (relative to proto/) with @grpc/proto-loader — not our generated code — and
 * connects a client for `service` (e.g. "shop.product.v1.ProductService") to `address`, the way a
 * third party's Node client would. int64 fields travel as decimal strings.
 */
export function loadGrpcJsClient(
  protoFile: string,
  service: string,
  address: string,
): GrpcJsClient {
  const definition = protoLoader.loadSync(root(`proto/${protoFile}`), {
    includeDirs: [root("proto"), root("node_modules/google-proto-files")],
    longs: String,
    defaults: true,
  });
  const tree = grpc.loadPackageDefinition(definition);
  const Service = service
    .split(".")
    .reduce<unknown>(
      (node, name) => (node as Record<string, unknown>)[name],
      tree,
    ) as grpc.ServiceClientConstructor;
  const client = new Service(address, grpc.credentials.createInsecure());
  return {
    call<T>(method: string, request: object, metadata: Record<string, string> = {}) {
      const fn = client[method] as (
        request: object,
        metadata: grpc.Metadata,
        done: (error: grpc.ServiceError | null, response: T) => void,
      ) => void;
      const meta = new grpc.Metadata();
      for (const [key, value] of Object.entries(metadata)) meta.set(key, value);
      return new Promise<T>((resolve, reject) =>
        fn.call(client, request, meta, (error, response) =>
          error ? reject(error) : resolve(response),
        ),
      );
    },
    close: () => client.close(),
  };
}
