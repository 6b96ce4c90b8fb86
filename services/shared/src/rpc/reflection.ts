import { create, type DescFile, type DescService, fromBinary, toBinary } from "@bufbuild/protobuf";
import { nestedTypes } from "@bufbuild/protobuf/reflect";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  ErrorResponseSchema,
  FileDescriptorResponseSchema,
  ListServiceResponseSchema,
  type ServerReflection,
  type ServerReflectionRequest,
  ServerReflectionRequestSchema,
  type ServerReflectionResponse,
  ServerReflectionResponseSchema,
} from "#gen/grpc/reflection/v1/reflection_pb";
import {
  ServerReflectionRequestSchema as AlphaRequestSchema,
  ServerReflectionResponseSchema as AlphaResponseSchema,
  type ServerReflection as ServerReflectionV1alpha,
} from "#gen/grpc/reflection/v1alpha/reflection_pb";

type Answer = ServerReflectionResponse["messageResponse"];

/** gRPC NOT_FOUND, the code reflection reports in an error_response. */
const NOT_FOUND = 5;

/**
 * gRPC server reflection (grpc.reflection.v1) over the given services, so grpcurl, `buf curl`
 * and grpcui work without local proto files. Files are answered with their transitive imports.
 */
export function createReflectionService(
  services: readonly DescService[],
): ServiceImpl<typeof ServerReflection> {
  const index = indexFiles(services);
  return {
    async *serverReflectionInfo(requests) {
      for await (const req of requests) {
        yield { validHost: req.host, originalRequest: req, messageResponse: answer(index, req) };
      }
    },
  };
}

/**
 * The same reflection as grpc.reflection.v1alpha, which older clients (grpcurl before 1.9, grpc
 * libraries of 2022 and before) ask for. v1 is v1alpha renamed, field for field, so each message
 * crosses over by its bytes.
 */
export function createReflectionV1alphaService(
  services: readonly DescService[],
): ServiceImpl<typeof ServerReflectionV1alpha> {
  const index = indexFiles(services);
  return {
    async *serverReflectionInfo(requests) {
      for await (const alpha of requests) {
        const req = fromBinary(ServerReflectionRequestSchema, toBinary(AlphaRequestSchema, alpha));
        const res = create(ServerReflectionResponseSchema, {
          validHost: req.host,
          originalRequest: req,
          messageResponse: answer(index, req),
        });
        yield fromBinary(AlphaResponseSchema, toBinary(ServerReflectionResponseSchema, res));
      }
    },
  };
}

interface FileIndex {
  serviceNames: string[];
  byName: Map<string, DescFile>;
  bySymbol: Map<string, DescFile>;
}

function indexFiles(services: readonly DescService[]): FileIndex {
  const byName = new Map<string, DescFile>();
  const bySymbol = new Map<string, DescFile>();
  const visit = (file: DescFile) => {
    if (byName.has(file.proto.name)) return;
    byName.set(file.proto.name, file);
    for (const type of nestedTypes(file)) {
      bySymbol.set(type.typeName, file);
      if (type.kind === "service") {
        for (const method of type.methods) bySymbol.set(`${type.typeName}.${method.name}`, file);
      }
    }
    for (const dependency of file.dependencies) visit(dependency);
  };
  for (const service of services) visit(service.file);
  return { serviceNames: services.map((s) => s.typeName), byName, bySymbol };
}

function answer(index: FileIndex, req: ServerReflectionRequest): Answer {
  const ask = req.messageRequest;
  switch (ask.case) {
    case "listServices":
      return {
        case: "listServicesResponse",
        value: create(ListServiceResponseSchema, {
          service: index.serviceNames.map((name) => ({ name })),
        }),
      };
    case "fileByFilename":
      return files(index.byName.get(ask.value), `file "${ask.value}"`);
    case "fileContainingSymbol":
      return files(index.bySymbol.get(ask.value), `symbol "${ask.value}"`);
    case "fileContainingExtension":
    case "allExtensionNumbersOfType":
      // None of our services declares extensions of request types.
      return notFound("no extensions are registered");
    default:
      return notFound("unsupported reflection request");
  }
}

function files(file: DescFile | undefined, what: string): Answer {
  if (!file) return notFound(`${what} not found`);
  const closure = new Map<string, DescFile>();
  const collect = (f: DescFile) => {
    if (closure.has(f.proto.name)) return;
    closure.set(f.proto.name, f);
    f.dependencies.forEach(collect);
  };
  collect(file);
  return {
    case: "fileDescriptorResponse",
    value: create(FileDescriptorResponseSchema, {
      fileDescriptorProto: [...closure.values()].map((f) =>
        toBinary(FileDescriptorProtoSchema, f.proto),
      ),
    }),
  };
}

function notFound(message: string): Answer {
  return {
    case: "errorResponse",
    value: create(ErrorResponseSchema, { errorCode: NOT_FOUND, errorMessage: message }),
  };
}
